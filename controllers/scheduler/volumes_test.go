package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func localVolume(name, size, node string) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{StorageClassName: "local", AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{node}}}}}}}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable}}
}

func pendingClaim(name, size string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("local"), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}}}}
}

func nodeNamed(name string, labels map[string]string) *corev1.Node {
	l := map[string]string{"kubernetes.io/hostname": name}
	for k, v := range labels {
		l[k] = v
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
}

// Each delayed claim takes the smallest volume that fits on the node, no
// volume serves two claims, and a class without a provisioner has nothing
// else to offer.
func TestPlanVolumesMatchesOnTheNode(t *testing.T) {
	manual := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "local"}, Provisioner: "kubernetes.io/no-provisioner"}
	pc := &podContext{
		delayed: []delayedClaim{{claim: pendingClaim("a", "1Gi"), class: manual}, {claim: pendingClaim("b", "1Gi"), class: manual}},
		volumes: []*corev1.PersistentVolume{localVolume("big-on-x", "10Gi", "x"), localVolume("small-on-x", "2Gi", "x"), localVolume("on-y", "5Gi", "y")},
	}
	plan, ok := pc.planVolumes(nodeNamed("x", nil))
	if !ok || len(plan) != 2 || plan[0].volume.Name != "small-on-x" || plan[1].volume.Name != "big-on-x" {
		t.Fatalf("plan on x: %v %+v", ok, plan)
	}
	if _, ok := pc.planVolumes(nodeNamed("y", nil)); ok {
		t.Error("y has one volume for two claims, yet fits")
	}
	if reason := pc.volumeFilter(nodeNamed("z", nil)); reason != reasonVolumeBindConflict {
		t.Errorf("z: %q", reason)
	}
}

// A provisioner's class fits a node within its allowed topologies.
func TestCanProvisionHonoursAllowedTopologies(t *testing.T) {
	class := &storagev1.StorageClass{Provisioner: "kybernetes.io/local-path", AllowedTopologies: []corev1.TopologySelectorTerm{
		{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone", Values: []string{"a", "b"}}, {Key: "disk", Values: []string{"ssd"}}}},
		{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone", Values: []string{"c"}}}},
	}}
	for _, c := range []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{"zone": "a", "disk": "ssd"}, true},
		{map[string]string{"zone": "a"}, false},
		{map[string]string{"zone": "c"}, true},
		{nil, false},
	} {
		if got := canProvision(class, nodeNamed("n", c.labels)); got != c.want {
			t.Errorf("labels %v: %v, want %v", c.labels, got, c.want)
		}
	}
	if !canProvision(&storagev1.StorageClass{Provisioner: "p"}, nodeNamed("n", nil)) {
		t.Error("a class without allowed topologies fits nowhere")
	}
	if canProvision(&storagev1.StorageClass{Provisioner: "kubernetes.io/no-provisioner"}, nodeNamed("n", nil)) {
		t.Error("no-provisioner provisions")
	}
}
