package integration

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// storage.k8s.io/v1: a StorageClass with upstream's defaults and
// immutable fields, the default class given to a claim that names none,
// CSIDrivers, CSINodes, VolumeAttachments (with status),
// CSIStorageCapacities and VolumeAttributesClasses.
func TestStorageGroup(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	storage := shared.Client.StorageV1()
	class, err := storage.StorageClasses().Create(ctx, &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: "it-fast", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: "example.com/fast", Parameters: map[string]string{"tier": "1"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = storage.StorageClasses().Delete(context.Background(), "it-fast", metav1.DeleteOptions{}) })
	if ptr.Deref(class.ReclaimPolicy, "") != corev1.PersistentVolumeReclaimDelete || ptr.Deref(class.VolumeBindingMode, "") != storagev1.VolumeBindingImmediate {
		t.Errorf("defaults: %v %v", class.ReclaimPolicy, class.VolumeBindingMode)
	}
	class.Parameters = map[string]string{"tier": "2"}
	_, err = storage.StorageClasses().Update(ctx, class, metav1.UpdateOptions{})
	assertInvalid(t, err, "parameters")
	_, err = storage.StorageClasses().Create(ctx, &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "it-bad"},
		ReclaimPolicy: ptr.To(corev1.PersistentVolumeReclaimRecycle)}, metav1.CreateOptions{})
	assertInvalid(t, err, "provisioner")
	assertInvalid(t, err, "reclaimPolicy")
	table, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis/storage.k8s.io/v1/storageclasses").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"it-fast (default)","example.com/fast","Delete","Immediate",false`) {
		t.Errorf("table: %v %s", err, table)
	}

	claim := func(name string, class *string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
	}
	waitFor(t, "the default class on a new claim", func(ctx context.Context) bool {
		c := claim("", nil)
		c.GenerateName = "defaulted-"
		c, err := shared.Client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, c, metav1.CreateOptions{})
		if err != nil {
			return false
		}
		_ = shared.Client.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, c.Name, metav1.DeleteOptions{})
		return ptr.Deref(c.Spec.StorageClassName, "") == "it-fast"
	})
	none, err := shared.Client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, claim("no-class", ptr.To("")), metav1.CreateOptions{})
	if err != nil || ptr.Deref(none.Spec.StorageClassName, "x") != "" {
		t.Errorf("a claim asking for no class: %v %v", none, err)
	}

	driver, err := storage.CSIDrivers().Create(ctx, &storagev1.CSIDriver{ObjectMeta: metav1.ObjectMeta{Name: "it.csi.example.com"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = storage.CSIDrivers().Delete(context.Background(), driver.Name, metav1.DeleteOptions{}) })
	if !ptr.Deref(driver.Spec.AttachRequired, false) || len(driver.Spec.VolumeLifecycleModes) != 1 {
		t.Errorf("CSIDriver defaults: %+v", driver.Spec)
	}
	node := &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: "it-node"}, Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{
		{Name: "it.csi.example.com", NodeID: "n1"}, {Name: "it.csi.example.com", NodeID: "n2"}}}}
	_, err = storage.CSINodes().Create(ctx, node, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.drivers[1].name")
	node.Spec.Drivers = node.Spec.Drivers[:1]
	if _, err := storage.CSINodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = storage.CSINodes().Delete(context.Background(), "it-node", metav1.DeleteOptions{}) })

	attachment, err := storage.VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "it-attach"},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: "it.csi.example.com", NodeName: "it-node",
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr.To("pv-1")}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = storage.VolumeAttachments().Delete(context.Background(), "it-attach", metav1.DeleteOptions{})
	})
	attachment.Status.Attached = true
	if attachment, err = storage.VolumeAttachments().UpdateStatus(ctx, attachment, metav1.UpdateOptions{}); err != nil || !attachment.Status.Attached {
		t.Fatalf("status: %v %v", attachment, err)
	}
	attachment.Spec.NodeName = "elsewhere"
	_, err = storage.VolumeAttachments().Update(ctx, attachment, metav1.UpdateOptions{})
	assertInvalid(t, err, "spec")

	if _, err := storage.CSIStorageCapacities(ns).Create(ctx, &storagev1.CSIStorageCapacity{ObjectMeta: metav1.ObjectMeta{Name: "cap"},
		StorageClassName: "it-fast", Capacity: ptr.To(resource.MustParse("10Gi"))}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	vac, err := storage.VolumeAttributesClasses().Create(ctx, &storagev1.VolumeAttributesClass{ObjectMeta: metav1.ObjectMeta{Name: "it-gold"},
		DriverName: "it.csi.example.com", Parameters: map[string]string{"iops": "1000"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = storage.VolumeAttributesClasses().Delete(context.Background(), "it-gold", metav1.DeleteOptions{})
	})
	vac.Parameters["iops"] = "2000"
	_, err = storage.VolumeAttributesClasses().Update(ctx, vac, metav1.UpdateOptions{})
	assertInvalid(t, err, "parameters")
}
