package integration

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Claims bind to the smallest volume that fits (class, access modes,
// capacity, selector); a deleted claim releases its volume, which Retain
// keeps and Delete deletes.
func TestPersistentVolumeBinding(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	prefix := strings.ToLower(t.Name()) + "-"
	volume := func(name, size string, policy corev1.PersistentVolumeReclaimPolicy, class string, labels map[string]string) {
		_, err := shared.Client.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: prefix + name, Labels: labels},
			Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
				AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeReclaimPolicy: policy, StorageClassName: class,
				PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/" + name}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = shared.Client.CoreV1().PersistentVolumes().Delete(context.Background(), prefix+name, metav1.DeleteOptions{})
		})
	}
	// Storage classes of this test's own: volumes are cluster-wide, and
	// other tests' claims must not take them.
	plain, fast := prefix+"plain", prefix+"fast"
	volume("big", "10Gi", corev1.PersistentVolumeReclaimRetain, plain, nil)
	volume("small", "1Gi", corev1.PersistentVolumeReclaimDelete, plain, nil)
	volume("fast", "5Gi", corev1.PersistentVolumeReclaimRetain, fast, map[string]string{"tier": "gold"})
	waitFor(t, "the volumes Available", func(ctx context.Context) bool {
		for _, name := range []string{"big", "small", "fast"} {
			v, err := shared.Client.CoreV1().PersistentVolumes().Get(ctx, prefix+name, metav1.GetOptions{})
			if err != nil || v.Status.Phase != corev1.VolumeAvailable {
				return false
			}
		}
		return true
	})

	claims := shared.Client.CoreV1().PersistentVolumeClaims(ns)
	claim := func(name, size, class string, selector map[string]string) {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
				StorageClassName: ptr.To(class)}}
		if selector != nil {
			c.Spec.Selector = &metav1.LabelSelector{MatchLabels: selector}
		}
		if _, err := claims.Create(ctx, c, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	boundTo := func(name string) string {
		var volumeName string
		waitFor(t, name+" Bound", func(ctx context.Context) bool {
			c, err := claims.Get(ctx, name, metav1.GetOptions{})
			if err != nil || c.Status.Phase != corev1.ClaimBound {
				return false
			}
			volumeName = c.Spec.VolumeName
			return c.Annotations["pv.kubernetes.io/bind-completed"] == "yes" && c.Status.Capacity.Storage() != nil
		})
		return volumeName
	}
	claim("data", "500Mi", plain, nil) // the smallest fit: small, not big
	if got := boundTo("data"); got != prefix+"small" {
		t.Fatalf("data bound to %s", got)
	}
	claim("gold", "2Gi", fast, map[string]string{"tier": "gold"})
	if got := boundTo("gold"); got != prefix+"fast" {
		t.Fatalf("gold bound to %s", got)
	}
	claim("huge", "100Gi", plain, nil) // nothing fits
	claim("logs", "2Gi", plain, nil)
	if got := boundTo("logs"); got != prefix+"big" {
		t.Fatalf("logs bound to %s", got)
	}
	v, err := shared.Client.CoreV1().PersistentVolumes().Get(ctx, prefix+"big", metav1.GetOptions{})
	if err != nil || v.Status.Phase != corev1.VolumeBound || v.Spec.ClaimRef == nil || v.Spec.ClaimRef.Name != "logs" || v.Spec.ClaimRef.Namespace != ns {
		t.Fatalf("volume big: %v %+v %v", v.Status.Phase, v.Spec.ClaimRef, err)
	}
	if c, _ := claims.Get(ctx, "huge", metav1.GetOptions{}); c.Status.Phase != corev1.ClaimPending {
		t.Fatalf("a claim nothing fits is %s", c.Status.Phase)
	}

	// Deleting claims: Retain leaves the volume Released, Delete deletes it.
	for _, name := range []string{"logs", "data"} {
		if err := claims.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "big Released, small deleted", func(ctx context.Context) bool {
		big, err := shared.Client.CoreV1().PersistentVolumes().Get(ctx, prefix+"big", metav1.GetOptions{})
		_, smallErr := shared.Client.CoreV1().PersistentVolumes().Get(ctx, prefix+"small", metav1.GetOptions{})
		return err == nil && big.Status.Phase == corev1.VolumeReleased && apierrors.IsNotFound(smallErr)
	})
}
