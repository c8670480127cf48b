// Package volumebinder binds PersistentVolumeClaims to PersistentVolumes,
// as upstream's persistent volume controller does: a pending claim gets
// the smallest available volume that fits (storage class, volume mode,
// access modes, capacity, selector) or the one pre-bound to it; both sides
// record the binding and turn Bound. A claim nothing fits whose class names
// a provisioner is handed to that provisioner, as upstream hands claims to
// external provisioners: the claim is annotated with the provisioner's
// name, and the provisioner makes a volume pre-bound to it. A class with
// volumeBindingMode WaitForFirstConsumer delays both until the scheduler
// has picked a node for a pod of the claim (and annotated the claim with
// it, or pre-bound a volume there).
//
// A volume whose claim is deleted turns Released, and its reclaim policy
// runs: Retain keeps it; Delete leaves a volume an external provisioner
// made to that provisioner, and deletes the PersistentVolume object of
// any other (there is no in-tree volume plugin to erase the storage behind
// it); Recycle, deprecated upstream, marks it Failed. A claim whose volume
// disappears turns Lost.
package volumebinder

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	storageinformers "k8s.io/client-go/informers/storage/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	volumehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// The annotations upstream writes on a binding it makes, and the one the
// scheduler writes on a delayed claim (upstream's names, from
// k8s.io/component-helpers).
const (
	AnnBindCompleted     = volumehelpers.AnnBindCompleted
	AnnBoundByController = volumehelpers.AnnBoundByController
	AnnSelectedNode      = volumehelpers.AnnSelectedNode

	claimKeyPrefix        = "claim/"
	volumeKeyPrefix       = "volume/"
	unboundClaimRetryTime = 15 * time.Second
)

// Controller binds claims and volumes; its queue holds "claim/<ns>/<name>"
// and "volume/<name>" keys.
type Controller struct {
	client   kubernetes.Interface
	claims   corelisters.PersistentVolumeClaimLister
	volumes  corelisters.PersistentVolumeLister
	classes  storagelisters.StorageClassLister
	pods     corelisters.PodLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder *events.Recorder
}

// New returns a controller fed by the claim, volume, storage class and pod
// informers (pods only to name, in an event, the pods a claim waits for).
func New(client kubernetes.Interface, claims coreinformers.PersistentVolumeClaimInformer, volumes coreinformers.PersistentVolumeInformer,
	classes storageinformers.StorageClassInformer, pods coreinformers.PodInformer) *Controller {
	c := &Controller{
		client:  client,
		claims:  claims.Lister(),
		volumes: volumes.Lister(),
		classes: classes.Lister(),
		pods:    pods.Lister(),
		synced: []cache.InformerSynced{claims.Informer().HasSynced, volumes.Informer().HasSynced,
			classes.Informer().HasSynced, pods.Informer().HasSynced},
		queue:    runner.NewQueue("persistentvolume-binder"),
		recorder: events.NewRecorder(client, "persistentvolume-controller"),
	}
	enqueue := func(prefix string) func(obj interface{}) {
		return func(obj interface{}) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.queue.Add(prefix + key)
			}
		}
	}
	_, _ = claims.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue(claimKeyPrefix), UpdateFunc: func(_, obj interface{}) { enqueue(claimKeyPrefix)(obj) },
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			// Its volume is released.
			if claim, ok := obj.(*corev1.PersistentVolumeClaim); ok && claim.Spec.VolumeName != "" {
				c.queue.Add(volumeKeyPrefix + claim.Spec.VolumeName)
			}
		},
	})
	_, _ = volumes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) { enqueue(volumeKeyPrefix)(obj); c.enqueuePendingClaims() },
		UpdateFunc: func(_, obj interface{}) {
			enqueue(volumeKeyPrefix)(obj)
			c.enqueuePendingClaims()
		},
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			// Its claim is lost.
			if v, ok := obj.(*corev1.PersistentVolume); ok && v.Spec.ClaimRef != nil {
				c.queue.Add(claimKeyPrefix + v.Spec.ClaimRef.Namespace + "/" + v.Spec.ClaimRef.Name)
			}
		},
	})
	// A class appearing may let its claims be provisioned.
	_, _ = classes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(interface{}) { c.enqueuePendingClaims() },
	})
	return c
}

// enqueuePendingClaims: a volume that appears or frees up may fit one.
func (c *Controller) enqueuePendingClaims() {
	claims, err := c.claims.List(labels.Everything())
	if err != nil {
		return
	}
	for _, claim := range claims {
		if claim.Spec.VolumeName == "" {
			c.queue.Add(claimKeyPrefix + claim.Namespace + "/" + claim.Name)
		}
	}
}

// Run processes claims and volumes with the given number of workers until
// ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "persistentvolume-binder", c.queue, c.synced, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	if name, ok := strings.CutPrefix(key, volumeKeyPrefix); ok {
		return 0, c.syncVolume(ctx, name)
	}
	namespace, name, err := cache.SplitMetaNamespaceKey(strings.TrimPrefix(key, claimKeyPrefix))
	if err != nil {
		return 0, err
	}
	return c.syncClaim(ctx, namespace, name)
}

// syncClaim binds a pending claim, keeps a bound one Bound, or marks it
// Lost when its volume is gone. An unbound claim is tried again
// periodically, as upstream.
func (c *Controller) syncClaim(ctx context.Context, namespace, name string) (time.Duration, error) {
	claim, err := c.claims.PersistentVolumeClaims(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil || claim.DeletionTimestamp != nil {
		return 0, err
	}
	if claim.Spec.VolumeName != "" {
		volume, err := c.volumes.Get(claim.Spec.VolumeName)
		if apierrors.IsNotFound(err) {
			if claim.Annotations[AnnBindCompleted] != "" && claim.Status.Phase != corev1.ClaimLost {
				c.recorder.Eventf(claim, corev1.EventTypeWarning, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
				return 0, c.setClaimPhase(ctx, claim, corev1.ClaimLost, nil)
			}
			return unboundClaimRetryTime, nil // pre-bound to a volume yet to come
		}
		if err != nil {
			return 0, err
		}
		return 0, c.bind(ctx, volume, claim)
	}
	volumes, err := c.volumes.List(labels.Everything())
	if err != nil {
		return 0, err
	}
	class, classErr := c.classes.Get(classOf(claim))
	// Until the scheduler has picked a node, a delayed claim only takes a
	// volume pre-bound to it (by the scheduler, or by hand).
	delayed := classErr == nil && ptr.Deref(class.VolumeBindingMode, "") == storagev1.VolumeBindingWaitForFirstConsumer &&
		claim.Annotations[AnnSelectedNode] == ""
	if volume := bestVolume(volumes, claim, delayed); volume != nil {
		return 0, c.bind(ctx, volume, claim)
	}
	switch {
	case delayed:
		reason, message := "WaitForFirstConsumer", "waiting for first consumer to be created before binding"
		if waiting := c.unscheduledPodsOf(claim); len(waiting) > 0 {
			reason = "WaitForPodScheduled"
			message = fmt.Sprintf("waiting for pod %s to be scheduled", waiting[0])
			if len(waiting) > 1 {
				message = fmt.Sprintf("waiting for pods %s to be scheduled", strings.Join(waiting, ","))
			}
		}
		c.recorder.Eventf(claim, corev1.EventTypeNormal, reason, "%s", message)
	case classOf(claim) == "":
		c.recorder.Eventf(claim, corev1.EventTypeNormal, "FailedBinding", "no persistent volumes available for this claim and no storage class is set")
	case classErr != nil:
		c.recorder.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "%v", classErr)
	case class.Provisioner == volumehelpers.NotSupportedProvisioner || strings.HasPrefix(class.Provisioner, "kubernetes.io/"):
		// No in-tree plugin provisions here; names under kubernetes.io/
		// are upstream's in-tree plugins, never external provisioners.
		c.recorder.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "no volume plugin matched name: %s", class.Provisioner)
	default:
		return unboundClaimRetryTime, c.handToProvisioner(ctx, claim, class.Provisioner)
	}
	return unboundClaimRetryTime, nil
}

// handToProvisioner annotates the claim with the provisioner that is to
// make its volume, as upstream does for external provisioners.
func (c *Controller) handToProvisioner(ctx context.Context, claim *corev1.PersistentVolumeClaim, provisioner string) error {
	if claim.Annotations[volumehelpers.AnnStorageProvisioner] == provisioner && claim.Annotations[volumehelpers.AnnBetaStorageProvisioner] == provisioner {
		return nil
	}
	updated := claim.DeepCopy()
	setAnnotation(&updated.ObjectMeta, volumehelpers.AnnStorageProvisioner, provisioner)
	setAnnotation(&updated.ObjectMeta, volumehelpers.AnnBetaStorageProvisioner, provisioner)
	if _, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		c.recorder.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "Error saving claim: %v", err)
		return err
	}
	c.recorder.Eventf(claim, corev1.EventTypeNormal, "ExternalProvisioning", "Waiting for a volume to be created either by the external "+
		"provisioner '%s' or manually by the system administrator. If volume creation is delayed, please verify that the "+
		"provisioner is running and correctly registered.", provisioner)
	return nil
}

// unscheduledPodsOf names the pods not yet on a node that use the claim.
func (c *Controller) unscheduledPodsOf(claim *corev1.PersistentVolumeClaim) []string {
	pods, err := c.pods.Pods(claim.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var names []string
	for _, pod := range pods {
		if pod.Spec.NodeName != "" {
			continue
		}
		for _, v := range pod.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim.Name {
				names = append(names, pod.Namespace+"/"+pod.Name)
				break
			}
		}
	}
	sort.Strings(names)
	return names
}

// bind records the binding on the volume first, then on the claim, as
// upstream: a volume's claimRef is what reserves it, so a crash between
// the writes leaves a pre-bound volume the next sync completes.
func (c *Controller) bind(ctx context.Context, volume *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) error {
	ref := volume.Spec.ClaimRef
	if ref == nil || ref.UID != claim.UID {
		if ref != nil && ref.UID != "" {
			return nil // someone else's
		}
		updated := volume.DeepCopy()
		updated.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
			Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID, ResourceVersion: claim.ResourceVersion}
		if ref == nil {
			setAnnotation(&updated.ObjectMeta, AnnBoundByController, "yes")
		}
		var err error
		if volume, err = c.client.CoreV1().PersistentVolumes().Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	if volume.Status.Phase != corev1.VolumeBound {
		updated := volume.DeepCopy()
		updated.Status.Phase = corev1.VolumeBound
		updated.Status.LastPhaseTransitionTime = ptr.To(metav1.Now())
		if _, err := c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	if claim.Spec.VolumeName != volume.Name || claim.Annotations[AnnBindCompleted] != "yes" {
		updated := claim.DeepCopy()
		if updated.Spec.VolumeName == "" {
			updated.Spec.VolumeName = volume.Name
			setAnnotation(&updated.ObjectMeta, AnnBoundByController, "yes")
		}
		setAnnotation(&updated.ObjectMeta, AnnBindCompleted, "yes")
		var err error
		if claim, err = c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	if claim.Status.Phase != corev1.ClaimBound {
		return c.setClaimPhase(ctx, claim, corev1.ClaimBound, volume)
	}
	return nil
}

// setClaimPhase writes the claim's phase; a bound claim shows its volume's
// capacity and access modes.
func (c *Controller) setClaimPhase(ctx context.Context, claim *corev1.PersistentVolumeClaim, phase corev1.PersistentVolumeClaimPhase, volume *corev1.PersistentVolume) error {
	updated := claim.DeepCopy()
	updated.Status.Phase = phase
	if volume != nil {
		updated.Status.Capacity = volume.Spec.Capacity
		updated.Status.AccessModes = volume.Spec.AccessModes
	}
	_, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// syncVolume keeps a volume's phase true to its claim, and reclaims it once
// its claim is gone.
func (c *Controller) syncVolume(ctx context.Context, name string) error {
	volume, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || volume.DeletionTimestamp != nil {
		return err
	}
	ref := volume.Spec.ClaimRef
	if ref == nil {
		return c.setVolumePhase(ctx, volume, corev1.VolumeAvailable, "")
	}
	if ref.UID == "" {
		return nil // pre-bound by a user; the claim's sync binds it
	}
	claim, err := c.claims.PersistentVolumeClaims(ref.Namespace).Get(ref.Name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err == nil && claim.UID == ref.UID {
		if claim.Spec.VolumeName == "" || claim.Spec.VolumeName == volume.Name {
			c.queue.Add(claimKeyPrefix + claim.Namespace + "/" + claim.Name)
		}
		return nil
	}
	// The claim is gone from the cache, or a new one took its name. The
	// cache may be behind: ask the API server before releasing.
	live, err := c.client.CoreV1().PersistentVolumeClaims(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err == nil && live.UID == ref.UID {
		return nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if volume.Status.Phase != corev1.VolumeReleased && volume.Status.Phase != corev1.VolumeFailed {
		if err := c.setVolumePhase(ctx, volume, corev1.VolumeReleased, ""); err != nil {
			return err
		}
	}
	switch volume.Spec.PersistentVolumeReclaimPolicy {
	case corev1.PersistentVolumeReclaimDelete:
		if by := volume.Annotations[volumehelpers.AnnDynamicallyProvisioned]; by != "" && !strings.HasPrefix(by, "kubernetes.io/") {
			return nil // its provisioner erases the storage, then the object
		}
		err := c.client.CoreV1().PersistentVolumes().Delete(ctx, volume.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &volume.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	case corev1.PersistentVolumeReclaimRecycle:
		if volume.Status.Phase != corev1.VolumeFailed {
			c.recorder.Eventf(volume, corev1.EventTypeWarning, "VolumeFailedRecycle", "Recycle is not supported; use Retain or Delete")
			return c.setVolumePhase(ctx, volume, corev1.VolumeFailed, "Recycle is not supported; use Retain or Delete")
		}
	}
	return nil
}

func (c *Controller) setVolumePhase(ctx context.Context, volume *corev1.PersistentVolume, phase corev1.PersistentVolumePhase, message string) error {
	if volume.Status.Phase == phase && volume.Status.Message == message {
		return nil
	}
	updated := volume.DeepCopy()
	updated.Status.Phase, updated.Status.Message, updated.Status.LastPhaseTransitionTime = phase, message, ptr.To(metav1.Now())
	_, err := c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func setAnnotation(meta *metav1.ObjectMeta, key, value string) {
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[key] = value
}
