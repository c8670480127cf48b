package integration

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// RuntimeClasses: validation, the HANDLER column, and RuntimeClass
// admission giving pods the class's overhead, node selector and
// tolerations, refusing conflicts and missing classes in upstream's words.
func TestRuntimeClasses(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	classes := shared.Client.NodeV1().RuntimeClasses()
	name := ns + "-sandboxed"
	class, err := classes.Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Handler: "runc",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"sandbox": "yes"},
			Tolerations: []corev1.Toleration{{Key: "sandbox", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = classes.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	class.Handler = "kata"
	_, err = classes.Update(ctx, class, metav1.UpdateOptions{})
	assertInvalid(t, err, "handler")
	_, err = classes.Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: ns + "-bad"}, Handler: "Not_A_Label",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("-1")}}}, metav1.CreateOptions{})
	assertInvalid(t, err, "handler")
	assertInvalid(t, err, "overhead.limits[cpu]")
	table, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis/node.k8s.io/v1/runtimeclasses/"+name).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"`+name+`","runc"`) {
		t.Errorf("table: %v %s", err, table)
	}

	pods := shared.Client.CoreV1().Pods(ns)
	pod := func(podName, class string, edit func(*corev1.Pod)) (*corev1.Pod, error) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: podName}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "example.test/c:1"}}}}
		if class != "" {
			p.Spec.RuntimeClassName = ptr.To(class)
		}
		if edit != nil {
			edit(p)
		}
		return pods.Create(ctx, p, metav1.CreateOptions{})
	}
	admitted, err := pod("sandboxed", name, func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} })
	if err != nil {
		t.Fatal(err)
	}
	if got := admitted.Spec.Overhead.Cpu().String(); got != "250m" {
		t.Errorf("overhead %q, want the class's 250m", got)
	}
	if admitted.Spec.NodeSelector["sandbox"] != "yes" || admitted.Spec.NodeSelector["disk"] != "ssd" {
		t.Errorf("node selector %v", admitted.Spec.NodeSelector)
	}
	tolerated := false
	for _, tol := range admitted.Spec.Tolerations {
		tolerated = tolerated || tol.Key == "sandbox" && tol.Effect == corev1.TaintEffectNoSchedule
	}
	if !tolerated {
		t.Errorf("tolerations %v lack the class's", admitted.Spec.Tolerations)
	}

	for _, c := range []struct {
		name, class string
		edit        func(*corev1.Pod)
		want        string
	}{
		{"missing", ns + "-missing", nil, `pod rejected: RuntimeClass "` + ns + `-missing" not found`},
		{"conflict", name, func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"sandbox": "no"} },
			"conflict: runtimeClass.scheduling.nodeSelector[sandbox] = yes; pod.spec.nodeSelector[sandbox] = no"},
		{"other-overhead", name, func(p *corev1.Pod) {
			p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
		},
			"pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"},
		{"no-class-overhead", "", func(p *corev1.Pod) {
			p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
		},
			"pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"},
	} {
		_, err := pod(c.name, c.class, c.edit)
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want 403 %q", c.name, err, c.want)
		}
	}
}
