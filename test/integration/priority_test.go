package integration

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// PriorityClasses and Priority admission: the system classes exist; a
// pod gets its class's value and preemption policy, or the global
// default's; a missing class, a priority of its own or a second default
// are refused with upstream's messages; reserved names and values too.
func TestPriorityClasses(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	classes := shared.Client.SchedulingV1().PriorityClasses()
	critical, err := classes.Get(ctx, "system-node-critical", metav1.GetOptions{})
	if err != nil || critical.Value != 2000001000 {
		t.Fatalf("system-node-critical: %v %v", critical, err)
	}
	create := func(pc *schedulingv1.PriorityClass) error {
		_, err := classes.Create(ctx, pc, metav1.CreateOptions{})
		if err == nil {
			t.Cleanup(func() { _ = classes.Delete(context.Background(), pc.Name, metav1.DeleteOptions{}) })
		}
		return err
	}
	if err := create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "it-high"}, Value: 1000,
		PreemptionPolicy: ptr.To(corev1.PreemptNever)}); err != nil {
		t.Fatal(err)
	}
	pods := shared.Client.CoreV1().Pods(ns)
	pod := func(name, class string, priority *int32) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{PriorityClassName: class, Priority: priority,
			Containers: []corev1.Container{{Name: "c", Image: "example.test/c:1"}}}}
	}
	high, err := pods.Create(ctx, pod("high", "it-high", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(high.Spec.Priority, 0) != 1000 || ptr.Deref(high.Spec.PreemptionPolicy, "") != corev1.PreemptNever {
		t.Errorf("the pod of it-high: priority %v policy %v", high.Spec.Priority, high.Spec.PreemptionPolicy)
	}
	_, err = pods.Create(ctx, pod("missing", "it-missing", nil), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "no PriorityClass with name it-missing was found") {
		t.Errorf("a missing class: %v", err)
	}
	_, err = pods.Create(ctx, pod("own", "it-high", ptr.To[int32](5)), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name") {
		t.Errorf("a priority of its own: %v", err)
	}
	plain, err := pods.Create(ctx, pod("plain", "", nil), metav1.CreateOptions{})
	if err != nil || ptr.Deref(plain.Spec.Priority, -1) != 0 || plain.Spec.PriorityClassName != "" {
		t.Errorf("without a default class: %v %v", plain, err)
	}

	if err := create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "it-default"}, Value: 10, GlobalDefault: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the default class to apply", func(ctx context.Context) bool {
		p := pod("", "", nil)
		p.GenerateName = "defaulted-"
		p, err := pods.Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			return false
		}
		_ = pods.Delete(ctx, p.Name, metav1.DeleteOptions{})
		return ptr.Deref(p.Spec.Priority, 0) == 10 && p.Spec.PriorityClassName == "it-default"
	})
	err = create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "it-second"}, Value: 20, GlobalDefault: true})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "PriorityClass it-default is already marked as default. Only one default can exist") {
		t.Errorf("a second default: %v", err)
	}
	err = create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "system-mine"}, Value: 10})
	assertInvalid(t, err, "metadata.name")
	err = create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "it-huge"}, Value: 1000000001})
	assertInvalid(t, err, "value")
}
