package noderestriction

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"
)

func TestForbiddenLabels(t *testing.T) {
	keys := sets.New(
		"kubernetes.io/hostname", "topology.kubernetes.io/zone", "node.kubernetes.io/instance-type", "kubelet.kubernetes.io/anything", // the kubelet's
		"example.com/team", "plain", // not Kubernetes'
		"node-role.kubernetes.io/control-plane", "k8s.io/other", "sub.k8s.io/x", // Kubernetes' but not the kubelet's
		"node-restriction.kubernetes.io/trusted", "a.node-restriction.kubernetes.io/b", // an admin's only
	)
	got := sets.List(forbiddenLabels(keys))
	want := []string{"a.node-restriction.kubernetes.io/b", "k8s.io/other", "node-restriction.kubernetes.io/trusted", "node-role.kubernetes.io/control-plane", "sub.k8s.io/x"}
	if len(got) != len(want) {
		t.Fatalf("forbidden %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("forbidden %v, want %v", got, want)
		}
	}
}

func TestChangedLabels(t *testing.T) {
	got := changedLabels(map[string]string{"same": "1", "changed": "1", "removed": "1"}, map[string]string{"same": "1", "changed": "2", "added": "1"})
	if !got.Equal(sets.New("changed", "removed", "added")) {
		t.Errorf("changed %v", sets.List(got))
	}
}
