package integration

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/localpath"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// startLocalPath runs a local-path provisioner of the test's own, making
// volumes under a temporary root.
func startLocalPath(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	factory := informers.NewSharedInformerFactory(shared.Client, 0)
	core := factory.Core().V1()
	provisioner, err := localpath.New(shared.Client, localpath.Options{Root: root}, core.PersistentVolumeClaims(), core.PersistentVolumes(),
		factory.Storage().V1().StorageClasses(), core.Nodes())
	if err != nil {
		t.Fatal(err)
	}
	framework.RunComponent(t, "the local-path provisioner", func(ctx context.Context) error {
		factory.Start(ctx.Done())
		provisioner.Run(ctx, 2)
		factory.Shutdown()
		return nil
	})
	return root
}

func storageClass(t *testing.T, name, provisioner string, mode storagev1.VolumeBindingMode) {
	t.Helper()
	_, err := shared.Client.StorageV1().StorageClasses().Create(context.Background(), &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: provisioner, VolumeBindingMode: &mode,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = shared.Client.StorageV1().StorageClasses().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}

func newClaim(name, class, size string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeClaimSpec{
		StorageClassName: ptr.To(class), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}}}}
}

// claimEvent waits for an event of reason about the claim whose message
// contains text.
func claimEvent(t *testing.T, ns, claim, reason, text string) {
	t.Helper()
	waitFor(t, claim+": event "+reason+" "+text, func(ctx context.Context) bool {
		list, err := shared.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: fields.Set{
			"involvedObject.kind": "PersistentVolumeClaim", "involvedObject.name": claim, "reason": reason}.String()})
		return err == nil && slices.ContainsFunc(list.Items, func(e corev1.Event) bool { return strings.Contains(e.Message, text) })
	})
}

// The local-path provisioner: a claim of its class waits for its first
// pod; the scheduler picks the node and annotates the claim; a directory is
// made under the root as a hostPath volume pinned to that node, bound to
// the claim; the pod is bound after its claim. Deleting the claim erases
// the directory, then the volume.
func TestLocalPathProvisioning(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	root := startLocalPath(t)
	cluster := newStandIn(t, runAll, nil, nil)
	class := ns + "-local"
	storageClass(t, class, localpath.ProvisionerName, storagev1.VolumeBindingWaitForFirstConsumer)
	claims := shared.Client.CoreV1().PersistentVolumeClaims(ns)
	claim, err := claims.Create(ctx, newClaim("data", class, "1Gi"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claimEvent(t, ns, "data", "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
	if c, _ := claims.Get(ctx, "data", metav1.GetOptions{}); c.Spec.VolumeName != "" || c.Annotations["volume.kubernetes.io/storage-provisioner"] != "" {
		t.Fatalf("a claim without a pod was handed on: %v %v", c.Spec.VolumeName, c.Annotations)
	}

	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "writer"}, Spec: cluster.template(nil).Spec}
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
	if _, err := shared.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var node string
	waitFor(t, "writer bound to a node", func(ctx context.Context) bool {
		p, err := shared.Client.CoreV1().Pods(ns).Get(ctx, "writer", metav1.GetOptions{})
		node = p.Spec.NodeName
		return err == nil && node != ""
	})
	// The pod is bound only after its claim.
	claim, err = claims.Get(ctx, "data", metav1.GetOptions{})
	if err != nil || claim.Status.Phase != corev1.ClaimBound || claim.Spec.VolumeName != "pvc-"+string(claim.UID) {
		t.Fatalf("claim when its pod was bound: %v %+v", err, claim.Status)
	}
	if claim.Annotations["volume.kubernetes.io/selected-node"] != node || claim.Annotations["volume.kubernetes.io/storage-provisioner"] != localpath.ProvisionerName {
		t.Errorf("claim annotations: %v (pod on %s)", claim.Annotations, node)
	}
	claimEvent(t, ns, "data", "ExternalProvisioning", "Waiting for a volume to be created either by the external provisioner 'kybernetes.io/local-path'")
	claimEvent(t, ns, "data", "ProvisioningSucceeded", "Successfully provisioned volume "+claim.Spec.VolumeName)
	volume, err := shared.Client.CoreV1().PersistentVolumes().Get(ctx, claim.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, claim.Spec.VolumeName+"_"+ns+"_data")
	if hp := volume.Spec.HostPath; hp == nil || hp.Path != dir {
		t.Errorf("volume source %+v, want hostPath %s", volume.Spec.PersistentVolumeSource, dir)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() || info.Mode().Perm() != 0o777 {
		t.Errorf("volume directory: %v %v", info, err)
	}
	affinity := volume.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0]
	if affinity.Key != "kubernetes.io/hostname" || len(affinity.Values) != 1 || affinity.Values[0] != node {
		t.Errorf("volume node affinity %+v, want the pod's node %s", affinity, node)
	}
	if volume.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete || volume.Spec.StorageClassName != class ||
		volume.Annotations["pv.kubernetes.io/provisioned-by"] != localpath.ProvisionerName || !slices.Contains(volume.Finalizers, localpath.Finalizer) ||
		volume.Spec.Capacity.Storage().String() != "1Gi" || volume.Status.Phase != corev1.VolumeBound {
		t.Errorf("volume: %+v %+v %v", volume.ObjectMeta, volume.Spec, volume.Status.Phase)
	}

	// A pod and its claim go: the directory is erased, then the volume.
	if err := shared.Client.CoreV1().Pods(ns).Delete(ctx, "writer", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	if err := claims.Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the released volume deleted", func(ctx context.Context) bool {
		_, err := shared.Client.CoreV1().PersistentVolumes().Get(ctx, volume.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("volume directory after the volume was deleted: %v", err)
	}

	// A class of the provisioner that binds at once cannot say which node
	// the directory belongs on.
	immediate := ns + "-immediate"
	storageClass(t, immediate, localpath.ProvisionerName, storagev1.VolumeBindingImmediate)
	if _, err := claims.Create(ctx, newClaim("nowhere", immediate, "1Gi"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	claimEvent(t, ns, "nowhere", "ProvisioningFailed", `storage class "`+immediate+`" needs volumeBindingMode WaitForFirstConsumer`)
}

// Volumes made by hand for a class that binds on first consumer (local
// volumes): the scheduler puts the pod where a fitting volume is, and
// pre-binds it; the controller leaves such volumes alone until then. With
// no volume left the pod fits nowhere, in upstream's words.
func TestWaitForFirstConsumerLocalVolumes(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cluster := newStandIn(t, runAll, nil, nil)
	class := ns + "-manual"
	storageClass(t, class, "kubernetes.io/no-provisioner", storagev1.VolumeBindingWaitForFirstConsumer)
	volumeName := ns + "-disk"
	_, err := shared.Client.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: volumeName},
		Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, StorageClassName: class,
			PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disk"}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn,
					Values: []string{cluster.Nodes[1]}}}}}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = shared.Client.CoreV1().PersistentVolumes().Delete(context.Background(), volumeName, metav1.DeleteOptions{})
	})
	claims := shared.Client.CoreV1().PersistentVolumeClaims(ns)
	for _, name := range []string{"pinned", "unlucky"} {
		if _, err := claims.Create(ctx, newClaim(name, class, "1Gi"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	claimEvent(t, ns, "pinned", "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
	if v, err := shared.Client.CoreV1().PersistentVolumes().Get(ctx, volumeName, metav1.GetOptions{}); err != nil || v.Spec.ClaimRef != nil {
		t.Fatalf("the volume was bound before a pod needed it: %v %v", err, v.Spec.ClaimRef)
	}

	podUsing := func(name, claim string) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: cluster.template(nil).Spec}
		pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}}
		if _, err := shared.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	podUsing("db", "pinned")
	waitFor(t, "db on the volume's node, its claim bound to the volume", func(ctx context.Context) bool {
		p, err := shared.Client.CoreV1().Pods(ns).Get(ctx, "db", metav1.GetOptions{})
		if err != nil || p.Spec.NodeName == "" {
			return false
		}
		if p.Spec.NodeName != cluster.Nodes[1] {
			t.Fatalf("db went to %s, its volume is on %s", p.Spec.NodeName, cluster.Nodes[1])
		}
		c, err := claims.Get(ctx, "pinned", metav1.GetOptions{})
		return err == nil && c.Spec.VolumeName == volumeName && c.Status.Phase == corev1.ClaimBound
	})

	podUsing("cache", "unlucky")
	waitFor(t, "cache unschedulable for want of a volume", func(ctx context.Context) bool {
		p, err := shared.Client.CoreV1().Pods(ns).Get(ctx, "cache", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable &&
				strings.Contains(c.Message, "2 node(s) didn't find available persistent volumes to bind") {
				return true
			}
		}
		return false
	})
	claimEvent(t, ns, "unlucky", "WaitForPodScheduled", "waiting for pod "+ns+"/cache to be scheduled")
}
