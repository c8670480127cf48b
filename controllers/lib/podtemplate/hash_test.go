package podtemplate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestHashIsStableAndContentBased(t *testing.T) {
	template := func(image string) *corev1.PodTemplateSpec {
		return &corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr.To[int64](30), // a pointer: must hash by value
			Containers:                    []corev1.Container{{Name: "web", Image: image}},
		}}
	}
	a, b := Hash(template("nginx:1.27"), nil), Hash(template("nginx:1.27"), nil)
	if a != b {
		t.Errorf("equal templates hash differently: %s, %s", a, b)
	}
	if c := Hash(template("nginx:1.28"), nil); c == a {
		t.Errorf("different images hash the same: %s", c)
	}
	if d := Hash(template("nginx:1.27"), ptr.To[int32](1)); d == a {
		t.Errorf("a collision count does not change the hash")
	}
}
