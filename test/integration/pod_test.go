package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func simplePod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "web", Image: "nginx", Ports: []corev1.ContainerPort{{ContainerPort: 80}}},
			{Name: "sidecar", Image: "busybox:1.36"},
		}},
	}
}

func TestPodDefaultsAndStatus(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pod, err := shared.Client.CoreV1().Pods(ns).Create(ctx, simplePod("web"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := pod.Spec
	if spec.RestartPolicy != corev1.RestartPolicyAlways || spec.DNSPolicy != corev1.DNSClusterFirst ||
		*spec.TerminationGracePeriodSeconds != 30 || spec.SchedulerName != "default-scheduler" ||
		spec.SecurityContext == nil || !*spec.EnableServiceLinks {
		t.Fatalf("pod spec defaults: %+v", spec)
	}
	web, sidecar := spec.Containers[0], spec.Containers[1]
	if web.ImagePullPolicy != corev1.PullAlways || sidecar.ImagePullPolicy != corev1.PullIfNotPresent ||
		web.TerminationMessagePath != "/dev/termination-log" || web.TerminationMessagePolicy != corev1.TerminationMessageReadFile ||
		web.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Fatalf("container defaults: %+v / %+v", web, sidecar)
	}
	if pod.Status.Phase != corev1.PodPending || pod.Status.QOSClass != corev1.PodQOSBestEffort || pod.Generation != 1 {
		t.Fatalf("new pod status %+v generation %d", pod.Status, pod.Generation)
	}

	// Status is written through pods/status only.
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP = "10.244.0.5"
	running, err := shared.Client.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if running.Status.Phase != corev1.PodRunning {
		t.Fatalf("after status update: %s", running.Status.Phase)
	}
	running.Status.Phase = corev1.PodFailed
	running.Spec.Containers[0].Image = "nginx:1.27"
	updated, err := shared.Client.CoreV1().Pods(ns).Update(ctx, running, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Status.Phase != corev1.PodRunning || updated.Spec.Containers[0].Image != "nginx:1.27" || updated.Generation != 2 {
		t.Fatalf("main-resource update: phase %s image %s generation %d", updated.Status.Phase, updated.Spec.Containers[0].Image, updated.Generation)
	}

	list, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Running,status.podIP=10.244.0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("field selector on phase and podIP: %d pods", len(list.Items))
	}
}

func TestPodQOSClass(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	resources := func(req, limit string) corev1.ResourceRequirements {
		r := corev1.ResourceRequirements{Limits: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(limit), corev1.ResourceMemory: resource.MustParse("64Mi")}}
		if req != "" {
			r.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(req)}
		}
		return r
	}
	for name, want := range map[string]struct {
		resources corev1.ResourceRequirements
		qos       corev1.PodQOSClass
	}{
		"guaranteed": {resources("", "500m"), corev1.PodQOSGuaranteed}, // requests default to limits
		"burstable":  {resources("100m", "500m"), corev1.PodQOSBurstable},
	} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox", Resources: want.resources}}}}
		created, err := shared.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if created.Status.QOSClass != want.qos {
			t.Errorf("%s: QOS class %s", name, created.Status.QOSClass)
		}
	}
}

func TestPodValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pods := shared.Client.CoreV1().Pods(ns)

	_, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.containers")

	bad := simplePod("bad")
	bad.Spec.Containers[0].Image = ""
	bad.Spec.Containers[0].Ports[0].ContainerPort = 70000
	bad.Spec.Containers[1].Name = "web"
	bad.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "missing", MountPath: "/data"}}
	bad.Spec.RestartPolicy = "Sometimes"
	_, err = pods.Create(ctx, bad, metav1.CreateOptions{})
	for _, f := range []string{"spec.containers[0].image", "spec.containers[0].ports[0].containerPort",
		"spec.containers[1].name", "spec.containers[1].volumeMounts[0].name", "spec.restartPolicy"} {
		assertInvalid(t, err, f)
	}

	pod, err := pods.Create(ctx, simplePod("immutable"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "NEW", Value: "x"}}
	_, err = pods.Update(ctx, pod, metav1.UpdateOptions{})
	assertInvalid(t, err, "spec")
}

func TestPodBindingAndGracefulDeletion(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pods := shared.Client.CoreV1().Pods(ns)
	if _, err := pods.Create(ctx, simplePod("bound"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "bound"}, Target: corev1.ObjectReference{Kind: "Node", Name: "node-a"}}
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod, err := pods.Get(ctx, "bound", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Spec.NodeName != "node-a" || len(pod.Status.Conditions) != 1 || pod.Status.Conditions[0].Type != corev1.PodScheduled {
		t.Fatalf("after binding: node %q conditions %+v", pod.Spec.NodeName, pod.Status.Conditions)
	}
	binding.Target.Name = "node-b"
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("second binding: want Conflict, got %v", err)
	}
	onNode, err := pods.List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=node-a"})
	if err != nil || len(onNode.Items) != 1 {
		t.Fatalf("field selector spec.nodeName=node-a: %v, %d pods", err, len(onNode.Items))
	}

	// A pod on a node waits for its kubelet: the delete only marks it.
	if err := pods.Delete(ctx, "bound", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	pod, err = pods.Get(ctx, "bound", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("a bound pod vanished without its grace period: %v", err)
	}
	if pod.DeletionTimestamp == nil || *pod.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("bound pod after delete: deletionTimestamp %v grace %v", pod.DeletionTimestamp, pod.DeletionGracePeriodSeconds)
	}
	if err := pods.Delete(ctx, "bound", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "bound", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("force delete left the pod: %v", err)
	}

	// An unscheduled pod goes at once, and so does an evicted one.
	if _, err := pods.Create(ctx, simplePod("pending"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := pods.Delete(ctx, "pending", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "pending", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("unscheduled pod not deleted at once: %v", err)
	}
	if _, err := pods.Create(ctx, simplePod("evicted"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := pods.EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "evicted", Namespace: ns}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "evicted", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("evicted pod still there: %v", err)
	}
}
