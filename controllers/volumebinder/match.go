package volumebinder

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// classOf is a claim's storage class; nil and "" both mean none.
func classOf(claim *corev1.PersistentVolumeClaim) string {
	if claim.Spec.StorageClassName == nil {
		return ""
	}
	return *claim.Spec.StorageClassName
}

func volumeModeOf(mode *corev1.PersistentVolumeMode) corev1.PersistentVolumeMode {
	if mode == nil {
		return corev1.PersistentVolumeFilesystem
	}
	return *mode
}

// fits reports whether volume can serve claim, by upstream's rules: the
// same storage class and volume mode, every access mode the claim asks
// for, at least the storage it requests, and labels its selector matches.
func fits(volume *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) bool {
	if volume.Spec.StorageClassName != classOf(claim) || volumeModeOf(volume.Spec.VolumeMode) != volumeModeOf(claim.Spec.VolumeMode) {
		return false
	}
	for _, mode := range claim.Spec.AccessModes {
		if !slices.Contains(volume.Spec.AccessModes, mode) {
			return false
		}
	}
	request := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	capacity := volume.Spec.Capacity[corev1.ResourceStorage]
	if capacity.Cmp(request) < 0 {
		return false
	}
	if claim.Spec.Selector != nil {
		selector, err := metav1.LabelSelectorAsSelector(claim.Spec.Selector)
		if err != nil || !selector.Matches(labels.Set(volume.Labels)) {
			return false
		}
	}
	return true
}

// bestVolume picks the volume for an unbound claim: one pre-bound to it
// (its claimRef names the claim) if it fits, else the smallest available
// volume that fits, so that big volumes stay for big claims. A delayed
// claim (its binding waits for the scheduler) only takes a pre-bound one.
func bestVolume(volumes []*corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim, delayed bool) *corev1.PersistentVolume {
	var best *corev1.PersistentVolume
	for _, v := range volumes {
		if v.DeletionTimestamp != nil || !fits(v, claim) {
			continue
		}
		if ref := v.Spec.ClaimRef; ref != nil {
			if ref.Namespace == claim.Namespace && ref.Name == claim.Name && (ref.UID == "" || ref.UID == claim.UID) {
				return v
			}
			continue
		}
		if delayed || v.Status.Phase != corev1.VolumeAvailable && v.Status.Phase != corev1.VolumePending {
			continue
		}
		if best == nil || smaller(v, best) {
			best = v
		}
	}
	return best
}

func smaller(a, b *corev1.PersistentVolume) bool {
	ca, cb := a.Spec.Capacity[corev1.ResourceStorage], b.Spec.Capacity[corev1.ResourceStorage]
	if c := ca.Cmp(cb); c != 0 {
		return c < 0
	}
	return a.Name < b.Name
}
