package integration

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// A quota's status follows what the namespace uses; a create beyond it is
// refused with upstream's 403 and message; deleting frees the room again.
func TestResourceQuotaRefusesACreate(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	quotas := shared.Client.CoreV1().ResourceQuotas(ns)
	_, err := quotas.Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
			corev1.ResourcePods:        resource.MustParse("2"),
			corev1.ResourceRequestsCPU: resource.MustParse("1"),
			"count/deployments.apps":   resource.MustParse("1"),
		}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the quota's status", func(ctx context.Context) bool {
		q, err := quotas.Get(ctx, "compute", metav1.GetOptions{})
		return err == nil && len(q.Status.Hard) == 3 && len(q.Status.Used) == 3
	})

	pod := func(name, cpu string) *corev1.Pod {
		p := simplePod(name)
		p.Spec.Containers = p.Spec.Containers[:1]
		if cpu != "" {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
		}
		return p
	}
	pods := shared.Client.CoreV1().Pods(ns)
	_, err = pods.Create(ctx, pod("no-request", ""), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || err.Error() != `pods "no-request" is forbidden: failed quota: compute: must specify requests.cpu` {
		t.Fatalf("a pod without a cpu request under a cpu quota: %v", err)
	}
	_, err = pods.Create(ctx, pod("big", "1500m"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || err.Error() != `pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=1500m, used: requests.cpu=0, limited: requests.cpu=1` {
		t.Fatalf("a pod over the cpu quota: %v", err)
	}
	for _, name := range []string{"a", "b"} {
		if _, err := pods.Create(ctx, pod(name, "400m"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = pods.Create(ctx, pod("c", "100m"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || err.Error() != `pods "c" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2` {
		t.Fatalf("a third pod: %v", err)
	}
	waitFor(t, "used: 2 pods, 800m cpu", func(ctx context.Context) bool {
		q, err := quotas.Get(ctx, "compute", metav1.GetOptions{})
		used := q.Status.Used
		return err == nil && used.Pods().Value() == 2 && used.Name(corev1.ResourceRequestsCPU, resource.DecimalSI).MilliValue() == 800
	})

	// Deleting a pod gives its share back (the controller recounts).
	if err := pods.Delete(ctx, "a", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "room for the third pod", func(ctx context.Context) bool {
		_, err := pods.Create(ctx, pod("c", "100m"), metav1.CreateOptions{})
		return err == nil
	})

	// count/<resource>.<group> quotas count any served resource.
	deployments := shared.Client.AppsV1().Deployments(ns)
	deploy := func(name string) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0), Selector: selector(name), Template: *podTemplate(map[string]string{"app": name})}}
	}
	if _, err := deployments.Create(ctx, deploy("one"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = deployments.Create(ctx, deploy("two"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || err.Error() != `deployments.apps "two" is forbidden: exceeded quota: compute, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1` {
		t.Fatalf("a second deployment: %v", err)
	}
}

// A replica set whose pods a quota refuses reports ReplicaFailure with the
// quota's message, and FailedCreate events, as upstream's does.
func TestReplicaSetUnderQuota(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	_, err := shared.Client.CoreV1().ResourceQuotas(ns).Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "two-pods"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("2")}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the quota's status", func(ctx context.Context) bool {
		q, err := shared.Client.CoreV1().ResourceQuotas(ns).Get(ctx, "two-pods", metav1.GetOptions{})
		return err == nil && len(q.Status.Used) == 1
	})
	sets := shared.Client.AppsV1().ReplicaSets(ns)
	if _, err := sets.Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](3), Selector: selector("web"), Template: *podTemplate(map[string]string{"app": "web"})}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "2 replicas and ReplicaFailure", func(ctx context.Context) bool {
		rs, err := sets.Get(ctx, "web", metav1.GetOptions{})
		if err != nil || rs.Status.Replicas != 2 {
			return false
		}
		for _, c := range rs.Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure && c.Reason == "FailedCreate" && c.Status == corev1.ConditionTrue {
				return strings.Contains(c.Message, "exceeded quota: two-pods")
			}
		}
		return false
	})
	// Room again: the third pod comes and the condition goes.
	if err := shared.Client.CoreV1().ResourceQuotas(ns).Delete(ctx, "two-pods", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 replicas and no ReplicaFailure", func(ctx context.Context) bool {
		rs, err := sets.Get(ctx, "web", metav1.GetOptions{})
		return err == nil && rs.Status.Replicas == 3 && len(rs.Status.Conditions) == 0
	})
}

// A quota on an extended resource (requests.example.com/gpu) shows usage and
// refuses a pod beyond it.
func TestResourceQuotaOnExtendedResources(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	quotas := shared.Client.CoreV1().ResourceQuotas(ns)
	if _, err := quotas.Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "gpus"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"requests.example.com/gpu": resource.MustParse("2")}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gpuPod := func(name string, n string) *corev1.Pod {
		p := simplePod(name)
		p.Spec.Containers = p.Spec.Containers[:1]
		gpus := corev1.ResourceList{"example.com/gpu": resource.MustParse(n)}
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: gpus, Limits: gpus}
		return p
	}
	waitFor(t, "the quota's status", func(ctx context.Context) bool {
		q, err := quotas.Get(ctx, "gpus", metav1.GetOptions{})
		return err == nil && len(q.Status.Used) == 1
	})
	pods := shared.Client.CoreV1().Pods(ns)
	if _, err := pods.Create(ctx, gpuPod("one", "2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "gpu usage in the quota's status", func(ctx context.Context) bool {
		q, err := quotas.Get(ctx, "gpus", metav1.GetOptions{})
		used := q.Status.Used["requests.example.com/gpu"]
		return err == nil && used.Cmp(resource.MustParse("2")) == 0
	})
	_, err := pods.Create(ctx, gpuPod("two", "1"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "exceeded quota: gpus, requested: requests.example.com/gpu=1, used: requests.example.com/gpu=2, limited: requests.example.com/gpu=2") {
		t.Fatalf("a pod beyond the gpu quota: %v", err)
	}
}
