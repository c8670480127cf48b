package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	volumehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/utils/ptr"
)

// Volume binding, as upstream's VolumeBinding plugin does it. A claim bound
// to a volume limits the pod to the nodes the volume's node affinity
// allows. A claim not bound yet whose class binds on first consumer
// (WaitForFirstConsumer) is decided with the node: a node fits when, for
// each such claim, it has an available volume that fits (the smallest, one
// claim each) or the class's provisioner may make one there (its
// allowedTopologies match the node). Before the pod is bound the chosen
// volumes are pre-bound to their claims and the other claims are annotated
// with the node, for their provisioner; the pod is bound once the
// persistent volume controller has bound every claim.

// volumeBindTimeout is how long a pod waits for its claims to be bound
// before it is scheduled again (upstream's bindTimeoutSeconds).
const volumeBindTimeout = 10 * time.Minute

// delayedClaim is an unbound claim whose class binds on first consumer.
type delayedClaim struct {
	claim *corev1.PersistentVolumeClaim
	class *storagev1.StorageClass
}

// volumeBinding is what binding a pod does for one delayed claim: pre-bind
// volume to it, or (volume nil) ask for one to be provisioned on the node.
type volumeBinding struct {
	claim  *corev1.PersistentVolumeClaim
	volume *corev1.PersistentVolume
}

var errPodGone = errors.New("pod deleted or replaced while its volumes were bound")

// volumeConstraints reads the pod's claims: a missing claim, or an unbound
// one that does not wait for a consumer, keeps the pod off every node; a
// bound volume's node affinity limits the nodes; claims that wait for a
// consumer are kept, with the volumes that might serve them, for the
// filter.
func (s *Scheduler) volumeConstraints(pc *podContext) string {
	pod := pc.info.pod
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claim, err := s.claims.PersistentVolumeClaims(pod.Namespace).Get(v.PersistentVolumeClaim.ClaimName)
		if err != nil {
			return fmt.Sprintf("persistentvolumeclaim %q not found", v.PersistentVolumeClaim.ClaimName)
		}
		if claim.DeletionTimestamp != nil {
			return fmt.Sprintf("persistentvolumeclaim %q is being deleted", claim.Name)
		}
		if claim.Spec.VolumeName == "" {
			class, err := s.classes.Get(volumehelpers.GetPersistentVolumeClaimClass(claim))
			if err == nil && ptr.Deref(class.VolumeBindingMode, "") == storagev1.VolumeBindingWaitForFirstConsumer {
				pc.delayed = append(pc.delayed, delayedClaim{claim: claim, class: class})
				continue
			}
			return "pod has unbound immediate PersistentVolumeClaims"
		}
		volume, err := s.volumes.Get(claim.Spec.VolumeName)
		if err != nil {
			return fmt.Sprintf("persistentvolume %q not found", claim.Spec.VolumeName)
		}
		if a := volume.Spec.NodeAffinity; a != nil && a.Required != nil {
			selector, err := nodeaffinity.NewNodeSelector(a.Required)
			if err != nil {
				return reasonVolumeNodeAffinity
			}
			pc.volumeNodes = append(pc.volumeNodes, selector)
		}
	}
	if len(pc.delayed) > 0 {
		volumes, err := s.volumes.List(labels.Everything())
		if err != nil {
			return err.Error()
		}
		pc.volumes = volumes
	}
	return ""
}

// volumeFilter says why the node cannot serve the pod's claims ("" if it
// can).
func (pc *podContext) volumeFilter(node *corev1.Node) string {
	for _, selector := range pc.volumeNodes {
		if !selector.Match(node) {
			return reasonVolumeNodeAffinity
		}
	}
	if _, ok := pc.planVolumes(node); !ok {
		return reasonVolumeBindConflict
	}
	return ""
}

// planVolumes decides each delayed claim on the node: the volume it takes
// there, or provisioning; ok is false when some claim can have neither.
func (pc *podContext) planVolumes(node *corev1.Node) (plan []volumeBinding, ok bool) {
	if len(pc.delayed) == 0 {
		return nil, true
	}
	taken := map[string]*corev1.PersistentVolume{}
	for _, d := range pc.delayed {
		volume, err := volumehelpers.FindMatchingVolume(d.claim, pc.volumes, node, taken, false, true)
		if err == nil && volume != nil {
			taken[volume.Name] = volume
			plan = append(plan, volumeBinding{claim: d.claim, volume: volume})
			continue
		}
		if !canProvision(d.class, node) {
			return nil, false
		}
		plan = append(plan, volumeBinding{claim: d.claim})
	}
	return plan, true
}

// canProvision: the class's provisioner may make a volume reachable from
// the node.
func canProvision(class *storagev1.StorageClass, node *corev1.Node) bool {
	if class.Provisioner == "" || class.Provisioner == volumehelpers.NotSupportedProvisioner {
		return false
	}
	if len(class.AllowedTopologies) == 0 {
		return true
	}
	// The terms are ORed; a term's requirements are ANDed.
	for _, term := range class.AllowedTopologies {
		if matchesTopology(term, node.Labels) {
			return true
		}
	}
	return false
}

func matchesTopology(term corev1.TopologySelectorTerm, nodeLabels map[string]string) bool {
	for _, req := range term.MatchLabelExpressions {
		value, ok := nodeLabels[req.Key]
		if !ok || !slices.Contains(req.Values, value) {
			return false
		}
	}
	return true
}

// bindVolumes carries out the plan for the node and waits until the
// persistent volume controller has bound every claim of it.
func (s *Scheduler) bindVolumes(ctx context.Context, pod *corev1.Pod, node string, plan []volumeBinding) error {
	for _, b := range plan {
		if b.volume != nil {
			updated, dirty, err := volumehelpers.GetBindVolumeToClaim(b.volume, b.claim)
			if err != nil {
				return err
			}
			if dirty {
				if _, err := s.client.CoreV1().PersistentVolumes().Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
					return fmt.Errorf("binding volumes: %w", err)
				}
			}
			continue
		}
		if b.claim.Annotations[volumehelpers.AnnSelectedNode] == node {
			continue
		}
		claim := b.claim.DeepCopy()
		metav1.SetMetaDataAnnotation(&claim.ObjectMeta, volumehelpers.AnnSelectedNode, node)
		if _, err := s.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, claim, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("binding volumes: %w", err)
		}
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, volumeBindTimeout, true, func(context.Context) (bool, error) {
		if live, err := s.pods.Pods(pod.Namespace).Get(pod.Name); err != nil || live.UID != pod.UID {
			return false, errPodGone
		}
		for _, b := range plan {
			claim, err := s.claims.PersistentVolumeClaims(b.claim.Namespace).Get(b.claim.Name)
			if err != nil || claim.UID != b.claim.UID {
				return false, fmt.Errorf("persistentvolumeclaim %q was deleted", b.claim.Name)
			}
			if claim.Spec.VolumeName == "" || claim.Annotations[volumehelpers.AnnBindCompleted] == "" {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil && !errors.Is(err, errPodGone) {
		return fmt.Errorf("binding volumes: %w", err)
	}
	return err
}
