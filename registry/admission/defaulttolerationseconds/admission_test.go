package defaulttolerationseconds

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/utils/ptr"
)

func admit(t *testing.T, pod *corev1.Pod) []corev1.Toleration {
	t.Helper()
	attrs := admission.NewAttributesRecord(pod, nil, corev1.SchemeGroupVersion.WithKind("Pod"), "ns", "p",
		corev1.SchemeGroupVersion.WithResource("pods"), "", admission.Create, &metav1.CreateOptions{}, false, nil)
	if err := New(300, 120).Admit(context.Background(), attrs, nil); err != nil {
		t.Fatal(err)
	}
	return pod.Spec.Tolerations
}

func TestDefaultTolerations(t *testing.T) {
	got := admit(t, &corev1.Pod{})
	if len(got) != 2 || got[0].Key != corev1.TaintNodeNotReady || *got[0].TolerationSeconds != 300 ||
		got[1].Key != corev1.TaintNodeUnreachable || *got[1].TolerationSeconds != 120 || got[1].Effect != corev1.TaintEffectNoExecute {
		t.Fatalf("tolerations: %+v", got)
	}
	// A pod's own toleration for a key is kept, and no default is added.
	own := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, TolerationSeconds: ptr.To[int64](5)}
	got = admit(t, &corev1.Pod{Spec: corev1.PodSpec{Tolerations: []corev1.Toleration{own}}})
	if len(got) != 2 || *got[0].TolerationSeconds != 5 || got[1].Key != corev1.TaintNodeNotReady {
		t.Fatalf("tolerations with the pod's own: %+v", got)
	}
	// Tolerating everything tolerates both.
	got = admit(t, &corev1.Pod{Spec: corev1.PodSpec{Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}}})
	if len(got) != 1 {
		t.Fatalf("tolerations with a wildcard: %+v", got)
	}
}
