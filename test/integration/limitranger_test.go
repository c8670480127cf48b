package integration

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A LimitRange fills defaults into new pods (so that a compute quota, which
// needs requests, admits them) and refuses pods and claims outside it.
func TestLimitRangeDefaultsAndLimits(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	q := resource.MustParse
	lr, err := shared.Client.CoreV1().LimitRanges(ns).Create(ctx, &corev1.LimitRange{
		ObjectMeta: metav1.ObjectMeta{Name: "limits"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
			{Type: corev1.LimitTypeContainer, Max: corev1.ResourceList{"cpu": q("1")},
				Default: corev1.ResourceList{"cpu": q("500m"), "memory": q("128Mi")}, DefaultRequest: corev1.ResourceList{"cpu": q("100m")}},
			{Type: corev1.LimitTypePersistentVolumeClaim, Max: corev1.ResourceList{"storage": q("5Gi")}},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Stored with upstream's defaulting: the default request of memory
	// comes from its default limit.
	if got := lr.Spec.Limits[0].DefaultRequest.Memory().String(); got != "128Mi" {
		t.Errorf("defaultRequest.memory = %s", got)
	}
	if _, err := shared.Client.CoreV1().ResourceQuotas(ns).Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"requests.cpu": q("2"), "limits.memory": q("1Gi")}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the quota's status", func(ctx context.Context) bool {
		quota, err := shared.Client.CoreV1().ResourceQuotas(ns).Get(ctx, "compute", metav1.GetOptions{})
		return err == nil && len(quota.Status.Hard) == 2
	})

	pod, err := shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a pod without resources in a namespace with a LimitRange and a quota: %v", err)
	}
	r := pod.Spec.Containers[0].Resources
	if r.Requests.Cpu().String() != "100m" || r.Limits.Cpu().String() != "500m" || r.Requests.Memory().String() != "128Mi" || r.Limits.Memory().String() != "128Mi" {
		t.Fatalf("defaulted resources: %+v", r)
	}
	if pod.Status.QOSClass != corev1.PodQOSBurstable {
		t.Errorf("QoS class %s, want Burstable (from the defaulted resources)", pod.Status.QOSClass)
	}
	if got := pod.Annotations["kubernetes.io/limit-ranger"]; got != "LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web" {
		t.Errorf("annotation %q", got)
	}

	_, err = shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "big"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "big", Image: "nginx",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{"cpu": q("2")}}}}}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2`) {
		t.Fatalf("a pod over the max: %v", err)
	}

	_, err = shared.Client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{"storage": q("10Gi")}}}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi") {
		t.Fatalf("a claim over the max: %v", err)
	}
	pods, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods stored: %v %v", pods, err)
	}
}
