package quota

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

func TestPodUsageAndConstraints(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}}},
		Containers: []corev1.Container{
			{Name: "a", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}},
			{Name: "b", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}}},
		}}}
	e := &podEvaluator{}
	usage, err := e.Usage(pod)
	if err != nil {
		t.Fatal(err)
	}
	// The init container's 2 cpu exceed the containers' 1: it counts.
	for name, want := range map[corev1.ResourceName]string{"pods": "1", "requests.cpu": "2", "cpu": "2", "requests.memory": "64Mi", "limits.memory": "128Mi"} {
		if got := usage[name]; got.Cmp(resource.MustParse(want)) != 0 {
			t.Errorf("%s = %s, want %s", name, got.String(), want)
		}
	}
	if _, limited := usage[corev1.ResourceLimitsCPU]; limited {
		t.Errorf("limits.cpu charged without a limit on every container: %v", usage)
	}
	err = e.Constraints([]corev1.ResourceName{"requests.cpu", "limits.memory", "pods"}, pod)
	if err == nil || err.Error() != "must specify limits.memory" {
		t.Errorf("constraints: %v", err)
	}
	if err := e.Constraints([]corev1.ResourceName{"requests.cpu"}, pod); err != nil {
		t.Errorf("requests.cpu is set everywhere: %v", err)
	}
	pod.Status.Phase = corev1.PodSucceeded
	if usage, _ := e.Usage(pod); len(usage) != 0 {
		t.Errorf("a finished pod is charged %v", usage)
	}

	terminating := &corev1.Pod{Spec: corev1.PodSpec{ActiveDeadlineSeconds: ptr.To[int64](60)}}
	for scope, want := range map[corev1.ResourceQuotaScope]bool{"Terminating": true, "NotTerminating": false, "BestEffort": true, "NotBestEffort": false} {
		got, _ := podMatchesScope(corev1.ScopedResourceSelectorRequirement{ScopeName: scope, Operator: corev1.ScopeSelectorOpExists}, terminating)
		if got != want {
			t.Errorf("scope %s: %v", scope, got)
		}
	}
}

func TestPodExtendedResourcesAndHugePages(t *testing.T) {
	gpus := corev1.ResourceList{"example.com/gpu": resource.MustParse("2"), "hugepages-2Mi": resource.MustParse("4Mi")}
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a",
		Resources: corev1.ResourceRequirements{Requests: gpus, Limits: gpus}}}}}
	e := &podEvaluator{}
	usage, err := e.Usage(pod)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[corev1.ResourceName]string{
		"requests.example.com/gpu": "2", "hugepages-2Mi": "4Mi", "requests.hugepages-2Mi": "4Mi",
	} {
		if got := usage[name]; got.Cmp(resource.MustParse(want)) != 0 {
			t.Errorf("%s = %s, want %s", name, got.String(), want)
		}
	}
	if _, ok := usage["example.com/gpu"]; ok {
		t.Error("an extended resource is charged without the requests. prefix, which quotas cannot name")
	}
	got := e.MatchingResources([]corev1.ResourceName{"requests.example.com/gpu", "example.com/gpu", "hugepages-2Mi",
		"requests.hugepages-1Gi", "requests.kubernetes.io/thing", "pods", "services"})
	want := []corev1.ResourceName{"pods", "requests.example.com/gpu", "hugepages-2Mi", "requests.hugepages-1Gi"}
	if len(got) != len(want) {
		t.Fatalf("matching %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("matching %v, want %v", got, want)
		}
	}
}
