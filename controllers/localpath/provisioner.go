// Package localpath is kybernetes's built-in dynamic provisioner, after the
// local-path provisioner k3s ships: a claim of a class whose provisioner is
// kybernetes.io/local-path gets a directory of its own under the
// provisioner's root, on the node the scheduler picked for its first pod,
// as a hostPath PersistentVolume pinned to that node. It works as
// upstream's external provisioners do: it takes the claims the persistent
// volume controller annotated with its name, makes a volume pre-bound to
// the claim (the controller then binds both), and when the volume is
// released under the Delete reclaim policy erases the directory and then
// deletes the volume. A finalizer keeps the volume object until its
// directory is gone.
//
// The directory is made and erased by this controller, so the nodes must
// see the provisioner's root at the same path (they do in `kybernetes up`,
// where every node runs on this machine).
package localpath

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	storageinformers "k8s.io/client-go/informers/storage/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	volumehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

const (
	// ProvisionerName is the provisioner of the classes this serves.
	ProvisionerName = "kybernetes.io/local-path"
	// DefaultClassName is the class made at start, as k3s names it.
	DefaultClassName = "local-path"
	// Finalizer is the one upstream's external provisioners put on their
	// volumes: the object stays until the storage behind it is erased.
	Finalizer = "external-provisioner.volume.kubernetes.io/finalizer"

	isDefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"
	hostnameLabel            = "kubernetes.io/hostname"
	claimPrefix              = "claim/"
	volumePrefix             = "volume/"
	retryPeriod              = 15 * time.Second
)

// Options are the provisioner's settings.
type Options struct {
	// Root is the directory the volumes are made in (k3s's
	// --default-local-storage-path).
	Root string
	// EnsureDefaultClass makes the local-path StorageClass at start when it
	// does not exist, as the default class unless another one already is.
	EnsureDefaultClass bool
}

// Controller provisions and erases local-path volumes; its queue holds
// "claim/<ns>/<name>" and "volume/<name>" keys.
type Controller struct {
	client   kubernetes.Interface
	opts     Options
	claims   corelisters.PersistentVolumeClaimLister
	volumes  corelisters.PersistentVolumeLister
	classes  storagelisters.StorageClassLister
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder *events.Recorder
}

// New returns the provisioner on the given informers.
func New(client kubernetes.Interface, opts Options, claims coreinformers.PersistentVolumeClaimInformer, volumes coreinformers.PersistentVolumeInformer,
	classes storageinformers.StorageClassInformer, nodes coreinformers.NodeInformer) (*Controller, error) {
	if !filepath.IsAbs(opts.Root) {
		return nil, fmt.Errorf("local-path provisioner: root %q is not an absolute path", opts.Root)
	}
	c := &Controller{
		client: client, opts: Options{Root: filepath.Clean(opts.Root), EnsureDefaultClass: opts.EnsureDefaultClass},
		claims: claims.Lister(), volumes: volumes.Lister(), classes: classes.Lister(), nodes: nodes.Lister(),
		synced: []cache.InformerSynced{claims.Informer().HasSynced, volumes.Informer().HasSynced,
			classes.Informer().HasSynced, nodes.Informer().HasSynced},
		queue:    runner.NewQueue("local-path-provisioner"),
		recorder: events.NewRecorder(client, ProvisionerName+"_"+hostname()),
	}
	enqueue := func(prefix string) func(obj interface{}) {
		return func(obj interface{}) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.queue.Add(prefix + key)
			}
		}
	}
	_, _ = claims.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue(claimPrefix), UpdateFunc: func(_, obj interface{}) { enqueue(claimPrefix)(obj) },
	})
	_, _ = volumes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue(volumePrefix), UpdateFunc: func(_, obj interface{}) { enqueue(volumePrefix)(obj) },
	})
	return c, nil
}

func hostname() string {
	name, _ := os.Hostname()
	return name
}

// Run provisions with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	if c.opts.EnsureDefaultClass {
		if err := c.ensureClass(ctx); err != nil {
			klog.ErrorS(err, "Making the local-path StorageClass")
		}
	}
	runner.Run(ctx, "local-path-provisioner", c.queue, c.synced, workers, c.sync)
}

// ensureClass makes the local-path class if it is missing: it binds on
// first consumer (the volume lives on one node) and deletes the directory
// with its claim.
func (c *Controller) ensureClass(ctx context.Context) error {
	classes := c.client.StorageV1().StorageClasses()
	if _, err := classes.Get(ctx, DefaultClassName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		return err
	}
	all, err := classes.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	isDefault := !slices.ContainsFunc(all.Items, func(c storagev1.StorageClass) bool { return c.Annotations[isDefaultClassAnnotation] == "true" })
	class := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: DefaultClassName, Annotations: map[string]string{isDefaultClassAnnotation: fmt.Sprint(isDefault)}},
		Provisioner:       ProvisionerName,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
	if _, err := classes.Create(ctx, class, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	if name, ok := strings.CutPrefix(key, volumePrefix); ok {
		return 0, c.syncVolume(ctx, name)
	}
	namespace, name, err := cache.SplitMetaNamespaceKey(strings.TrimPrefix(key, claimPrefix))
	if err != nil {
		return 0, nil
	}
	return c.syncClaim(ctx, namespace, name)
}

// syncClaim provisions a volume for a claim handed to this provisioner.
func (c *Controller) syncClaim(ctx context.Context, namespace, name string) (time.Duration, error) {
	claim, err := c.claims.PersistentVolumeClaims(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if claim.DeletionTimestamp != nil || claim.Spec.VolumeName != "" || claim.Annotations[volumehelpers.AnnStorageProvisioner] != ProvisionerName {
		return 0, nil
	}
	class, err := c.classes.Get(volumehelpers.GetPersistentVolumeClaimClass(claim))
	if err != nil || class.Provisioner != ProvisionerName {
		return 0, nil // not ours (any more)
	}
	volumeName := "pvc-" + string(claim.UID)
	if _, err := c.volumes.Get(volumeName); err == nil {
		return 0, nil // made already; the binder binds it
	}
	if problem := unsupported(claim); problem != "" {
		c.recorder.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "%s", problem)
		return 0, nil
	}
	nodeName := claim.Annotations[volumehelpers.AnnSelectedNode]
	if nodeName == "" {
		c.recorder.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed",
			"a local-path volume lives on one node: storage class %q needs volumeBindingMode WaitForFirstConsumer", class.Name)
		return 0, nil
	}
	node, err := c.nodes.Get(nodeName)
	if err != nil {
		c.recorder.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "failed to get target node: %v", err)
		return retryPeriod, nil
	}
	c.recorder.Eventf(claim, corev1.EventTypeNormal, "Provisioning", "External provisioner is provisioning volume for claim %q", namespace+"/"+name)
	volume := c.volumeFor(claim, class, volumeName, node)
	dir := volume.Spec.HostPath.Path
	// 0777 as k3s's: the pod's containers may run as any user.
	if err := os.MkdirAll(dir, 0o777); err == nil {
		err = os.Chmod(dir, 0o777)
	}
	if err != nil {
		c.recorder.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "failed to make volume directory: %v", err)
		return retryPeriod, nil
	}
	if _, err := c.client.CoreV1().PersistentVolumes().Create(ctx, volume, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		c.recorder.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "failed to create volume %s: %v", volumeName, err)
		return 0, err
	}
	c.recorder.Eventf(claim, corev1.EventTypeNormal, "ProvisioningSucceeded", "Successfully provisioned volume %s", volumeName)
	return 0, nil
}

// unsupported says why a claim cannot have a local-path volume ("" if it
// can).
func unsupported(claim *corev1.PersistentVolumeClaim) string {
	switch {
	case claim.Spec.Selector != nil:
		return "claim Selector is not supported"
	case ptr.Deref(claim.Spec.VolumeMode, corev1.PersistentVolumeFilesystem) != corev1.PersistentVolumeFilesystem:
		return "local-path volumes support only volumeMode Filesystem"
	case claim.Spec.DataSource != nil || claim.Spec.DataSourceRef != nil:
		return "local-path volumes cannot be populated from a data source"
	case slices.Contains(claim.Spec.AccessModes, corev1.ReadWriteMany) || slices.Contains(claim.Spec.AccessModes, corev1.ReadOnlyMany):
		return "local-path volumes live on one node: only ReadWriteOnce and ReadWriteOncePod are supported"
	}
	return ""
}

// volumeFor is the volume for claim on node: a directory named after the
// volume and the claim, pinned to the node by its hostname label.
func (c *Controller) volumeFor(claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, name string, node *corev1.Node) *corev1.PersistentVolume {
	host := node.Labels[hostnameLabel]
	if host == "" {
		host = node.Name
	}
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{volumehelpers.AnnDynamicallyProvisioned: ProvisionerName},
			Finalizers:  []string{Finalizer},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: claim.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes: claim.Spec.AccessModes,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID, ResourceVersion: claim.ResourceVersion},
			PersistentVolumeReclaimPolicy: ptr.Deref(class.ReclaimPolicy, corev1.PersistentVolumeReclaimDelete),
			StorageClassName:              class.Name,
			MountOptions:                  class.MountOptions,
			VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: filepath.Join(c.opts.Root, fmt.Sprintf("%s_%s_%s", name, claim.Namespace, claim.Name)),
				Type: ptr.To(corev1.HostPathDirectoryOrCreate),
			}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: hostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{host}}},
			}}}},
		},
	}
}

// syncVolume erases a released volume of this provisioner under the
// Delete policy, then deletes it; a volume being deleted loses its
// finalizer once its directory is gone.
func (c *Controller) syncVolume(ctx context.Context, name string) error {
	volume, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || volume.Annotations[volumehelpers.AnnDynamicallyProvisioned] != ProvisionerName {
		return err
	}
	deleting := volume.DeletionTimestamp != nil
	released := volume.Status.Phase == corev1.VolumeReleased
	// A bound volume being deleted waits for its claim to go, as upstream's
	// PV protection makes it: a pod may still write to it.
	if !released && (!deleting || volume.Status.Phase == corev1.VolumeBound) {
		return nil
	}
	if volume.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete {
		if err := c.erase(volume); err != nil {
			c.recorder.Eventf(volume, corev1.EventTypeWarning, "VolumeFailedDelete", "%v", err)
			return err
		}
		if !deleting {
			err := c.client.CoreV1().PersistentVolumes().Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &volume.UID}})
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
				return nil
			}
			return err
		}
	}
	if !deleting || !slices.Contains(volume.Finalizers, Finalizer) {
		return nil
	}
	finalizers := slices.DeleteFunc(slices.Clone(volume.Finalizers), func(f string) bool { return f == Finalizer })
	patch, err := json.Marshal(map[string]interface{}{"metadata": map[string]interface{}{
		"finalizers": finalizers, "resourceVersion": volume.ResourceVersion}})
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().PersistentVolumes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or changed: the change comes back through the informer
	}
	return err
}

// erase removes the volume's directory, which must be one this
// provisioner made: directly under its root.
func (c *Controller) erase(volume *corev1.PersistentVolume) error {
	if volume.Spec.HostPath == nil {
		return fmt.Errorf("volume %s has no hostPath: not deleting anything", volume.Name)
	}
	dir := filepath.Clean(volume.Spec.HostPath.Path)
	if filepath.Dir(dir) != c.opts.Root || !strings.HasPrefix(filepath.Base(dir), volume.Name+"_") {
		return fmt.Errorf("volume %s: path %q is not a local-path directory under %s: not deleting it", volume.Name, dir, c.opts.Root)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("failed to delete volume %s: %w", volume.Name, err)
	}
	return nil
}
