// Package statefulset runs apps/v1 StatefulSets as upstream's controller
// does: pods with stable names (<set>-<ordinal>), hostnames and claims
// (<template>-<set>-<ordinal>, made from volumeClaimTemplates and kept when
// the pod goes); with OrderedReady management, one pod at a time in
// ordinal order, each waiting for its predecessors to be running and
// ready, and removed in reverse order; with Parallel, all at once; updates
// by RollingUpdate (from the highest ordinal down to the partition, one
// pod at a time) or OnDelete, through ControllerRevisions that `kubectl
// rollout history/undo` read; and the status kubectl rollout status waits
// on.
package statefulset

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Upstream's pod labels.
const (
	PodNameLabel  = "statefulset.kubernetes.io/pod-name"
	PodIndexLabel = "apps.kubernetes.io/pod-index"
)

var controllerKind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")

// Controller is the stateful set controller.
type Controller struct {
	client    kubernetes.Interface
	sets      appslisters.StatefulSetLister
	pods      corelisters.PodLister
	claims    corelisters.PersistentVolumeClaimLister
	revisions appslisters.ControllerRevisionLister
	clock     clock.PassiveClock
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]
	recorder  *events.Recorder
}

// New returns a controller fed by the set, pod, claim and revision informers.
func New(client kubernetes.Interface, sets appsinformers.StatefulSetInformer, pods coreinformers.PodInformer,
	claims coreinformers.PersistentVolumeClaimInformer, revisions appsinformers.ControllerRevisionInformer, clk clock.PassiveClock) *Controller {
	c := &Controller{client: client, sets: sets.Lister(), pods: pods.Lister(), claims: claims.Lister(), revisions: revisions.Lister(), clock: clk,
		synced: []cache.InformerSynced{sets.Informer().HasSynced, pods.Informer().HasSynced, claims.Informer().HasSynced, revisions.Informer().HasSynced},
		queue:  runner.NewQueue("statefulset"), recorder: events.NewRecorder(client, "statefulset-controller")}
	enqueue := func(obj interface{}) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	_, _ = sets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, cur interface{}) { enqueue(cur) }, DeleteFunc: enqueue})
	owner := func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if pod, ok := obj.(*corev1.Pod); ok {
			if ref := metav1.GetControllerOf(pod); ref != nil && ref.Kind == controllerKind.Kind {
				c.queue.Add(pod.Namespace + "/" + ref.Name)
			}
		}
	}
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: owner, UpdateFunc: func(_, cur interface{}) { owner(cur) }, DeleteFunc: owner})
	return c
}

// Run processes stateful sets until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "statefulset", c.queue, c.synced, workers, c.sync)
}

// slot is one ordinal's pod.
type slot struct {
	ordinal int
	pod     *corev1.Pod
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	ss, err := c.sets.StatefulSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if ss.DeletionTimestamp != nil {
		return 0, nil // the garbage collector takes the pods
	}
	ss = ss.DeepCopy()
	pods, err := c.ownedPods(ss)
	if err != nil {
		return 0, err
	}
	owned, err := c.ownedRevisions(ss)
	if err != nil {
		return 0, err
	}
	update, err := c.updateRevision(ctx, ss, owned)
	if err != nil {
		return 0, err
	}
	if c.revisionByName(owned, update.Name) == nil {
		owned = append(owned, update) // just made: not in the cache yet
	}
	current := ss.Status.CurrentRevision
	if current == "" || c.revisionByName(owned, current) == nil {
		current = update.Name
	}
	start, replicas := ordinalStart(ss), int(ptr.Deref(ss.Spec.Replicas, 1))
	var wanted, condemned []slot
	byOrdinal := map[int]*corev1.Pod{}
	for _, pod := range pods {
		ordinal, ok := ordinalOf(ss, pod)
		switch {
		case !ok || ordinal < start || ordinal >= start+replicas:
			condemned = append(condemned, slot{ordinal, pod})
		default:
			byOrdinal[ordinal] = pod
		}
	}
	for i := start; i < start+replicas; i++ {
		wanted = append(wanted, slot{i, byOrdinal[i]})
	}
	sort.Slice(condemned, func(i, j int) bool { return condemned[i].ordinal > condemned[j].ordinal })

	requeue, err := c.reconcile(ctx, ss, wanted, condemned, owned, current, update.Name)
	if err != nil {
		return 0, err
	}
	if err := c.updateStatus(ctx, ss, pods, current, update.Name); err != nil {
		return 0, err
	}
	if err := c.trimHistory(ctx, ss, owned, pods, current, update.Name); err != nil {
		return 0, err
	}
	return requeue, nil
}

// reconcile takes the next steps towards the wanted pods; with
// OrderedReady it stops at the first pod it must wait for.
func (c *Controller) reconcile(ctx context.Context, ss *appsv1.StatefulSet, wanted, condemned []slot, owned []*appsv1.ControllerRevision, current, update string) (time.Duration, error) {
	ordered := ss.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
	partition := ordinalStart(ss)
	if ru := ss.Spec.UpdateStrategy.RollingUpdate; ss.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType && ru != nil {
		partition += int(ptr.Deref(ru.Partition, 0))
	}
	// Create the missing and replace the failed, in order.
	for _, s := range wanted {
		switch {
		case s.pod == nil:
			revision := update
			if ss.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType && s.ordinal < partition {
				revision = current
			}
			if err := c.createPod(ctx, ss, s.ordinal, c.revisionByName(owned, revision)); err != nil {
				return 0, err
			}
			if ordered {
				return 0, nil
			}
		case s.pod.DeletionTimestamp != nil:
			if ordered {
				return 0, nil
			}
		case s.pod.Status.Phase == corev1.PodFailed || s.pod.Status.Phase == corev1.PodSucceeded:
			// A pod that ended is deleted, then made again.
			if err := c.deletePod(ctx, ss, s.pod); err != nil {
				return 0, err
			}
			if ordered {
				return 0, nil
			}
		case ordered && !runningAndReady(s.pod):
			return 0, nil
		}
	}
	// Remove the condemned, the highest ordinal first; in order, only once
	// the pods below are running and ready.
	for _, s := range condemned {
		if s.pod.DeletionTimestamp != nil {
			if ordered {
				return 0, nil
			}
			continue
		}
		if ordered && !allReady(wanted) {
			return 0, nil
		}
		if err := c.deletePod(ctx, ss, s.pod); err != nil {
			return 0, err
		}
		if ordered {
			return 0, nil
		}
	}
	if ss.Spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType || !allReady(wanted) {
		return c.availableRequeue(ss, wanted), nil
	}
	// Rolling update: from the highest ordinal down to the partition, one
	// pod at a time, each waiting for the one before to be ready again.
	for i := len(wanted) - 1; i >= 0; i-- {
		s := wanted[i]
		if s.ordinal < partition {
			break
		}
		if s.pod.Labels[appsv1.ControllerRevisionHashLabelKey] != update {
			return 0, c.deletePod(ctx, ss, s.pod)
		}
	}
	return c.availableRequeue(ss, wanted), nil
}

// availableRequeue is when a ready pod becomes available (minReadySeconds).
func (c *Controller) availableRequeue(ss *appsv1.StatefulSet, wanted []slot) time.Duration {
	if ss.Spec.MinReadySeconds == 0 {
		return 0
	}
	var next time.Duration
	now := c.clock.Now()
	for _, s := range wanted {
		if s.pod == nil || !runningAndReady(s.pod) {
			continue
		}
		if wait := readySince(s.pod).Add(time.Duration(ss.Spec.MinReadySeconds) * time.Second).Sub(now); wait > 0 && (next == 0 || wait < next) {
			next = wait
		}
	}
	return next
}

func ordinalStart(ss *appsv1.StatefulSet) int {
	if ss.Spec.Ordinals != nil {
		return int(ss.Spec.Ordinals.Start)
	}
	return 0
}

// ordinalOf reads the ordinal from a pod's name (<set>-<ordinal>).
func ordinalOf(ss *appsv1.StatefulSet, pod *corev1.Pod) (int, bool) {
	suffix, ok := strings.CutPrefix(pod.Name, ss.Name+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(suffix)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == suffix
}

func podName(ss *appsv1.StatefulSet, ordinal int) string {
	return fmt.Sprintf("%s-%d", ss.Name, ordinal)
}

// claimName is the claim of template for a pod.
func claimName(template, pod string) string { return template + "-" + pod }

func (c *Controller) ownedPods(ss *appsv1.StatefulSet) ([]*corev1.Pod, error) {
	all, err := c.pods.Pods(ss.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var out []*corev1.Pod
	for _, pod := range all {
		if ref := metav1.GetControllerOf(pod); ref != nil && ref.UID == ss.UID {
			out = append(out, pod)
		}
	}
	return out, nil
}

// createPod makes the claims of the pod at ordinal, then the pod, from
// revision's template.
func (c *Controller) createPod(ctx context.Context, ss *appsv1.StatefulSet, ordinal int, revision *appsv1.ControllerRevision) error {
	template, err := templateOf(revision)
	if err != nil {
		return err
	}
	name := podName(ss, ordinal)
	for _, tmpl := range ss.Spec.VolumeClaimTemplates {
		if err := c.ensureClaim(ctx, ss, tmpl, name); err != nil {
			return err
		}
	}
	podLabels := map[string]string{}
	for k, v := range template.Labels {
		podLabels[k] = v
	}
	podLabels[appsv1.ControllerRevisionHashLabelKey] = revision.Name
	podLabels[PodNameLabel] = name
	podLabels[PodIndexLabel] = strconv.Itoa(ordinal)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ss.Namespace, Labels: podLabels, Annotations: template.Annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ss, controllerKind)}},
		Spec: template.Spec,
	}
	pod.Spec.Hostname, pod.Spec.Subdomain = name, ss.Spec.ServiceName
	for _, tmpl := range ss.Spec.VolumeClaimTemplates {
		volume := corev1.Volume{Name: tmpl.Name, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName(tmpl.Name, name)}}}
		replaced := false
		for i := range pod.Spec.Volumes {
			if pod.Spec.Volumes[i].Name == tmpl.Name {
				pod.Spec.Volumes[i], replaced = volume, true
			}
		}
		if !replaced {
			pod.Spec.Volumes = append(pod.Spec.Volumes, volume)
		}
	}
	_, err = c.client.CoreV1().Pods(ss.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil // made by an earlier sync the cache has not shown yet
	}
	if err != nil {
		c.recorder.Eventf(ss, corev1.EventTypeWarning, "FailedCreate", "create Pod %s in StatefulSet %s failed error: %v", name, ss.Name, err)
		return err
	}
	c.recorder.Eventf(ss, corev1.EventTypeNormal, "SuccessfulCreate", "create Pod %s in StatefulSet %s successful", name, ss.Name)
	return nil
}

// ensureClaim makes a pod's claim of a template, unless it exists (claims
// outlive their pods: a pod made again finds its data).
func (c *Controller) ensureClaim(ctx context.Context, ss *appsv1.StatefulSet, tmpl corev1.PersistentVolumeClaim, pod string) error {
	name := claimName(tmpl.Name, pod)
	if _, err := c.claims.PersistentVolumeClaims(ss.Namespace).Get(name); err == nil {
		return nil
	}
	claimLabels := map[string]string{}
	for k, v := range tmpl.Labels {
		claimLabels[k] = v
	}
	if ss.Spec.Selector != nil {
		for k, v := range ss.Spec.Selector.MatchLabels {
			claimLabels[k] = v
		}
	}
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ss.Namespace, Labels: claimLabels, Annotations: tmpl.Annotations},
		Spec: tmpl.Spec}
	_, err := c.client.CoreV1().PersistentVolumeClaims(ss.Namespace).Create(ctx, claim, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		c.recorder.Eventf(ss, corev1.EventTypeWarning, "FailedCreate", "create Claim %s for Pod %s in StatefulSet %s failed error: %v", name, pod, ss.Name, err)
		return err
	}
	c.recorder.Eventf(ss, corev1.EventTypeNormal, "SuccessfulCreate", "create Claim %s Pod %s in StatefulSet %s success", name, pod, ss.Name)
	return nil
}

func (c *Controller) deletePod(ctx context.Context, ss *appsv1.StatefulSet, pod *corev1.Pod) error {
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(pod.UID))})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone already, or another pod of the name
	}
	if err != nil {
		c.recorder.Eventf(ss, corev1.EventTypeWarning, "FailedDelete", "delete Pod %s in StatefulSet %s failed error: %v", pod.Name, ss.Name, err)
		return err
	}
	c.recorder.Eventf(ss, corev1.EventTypeNormal, "SuccessfulDelete", "delete Pod %s in StatefulSet %s successful", pod.Name, ss.Name)
	return nil
}

// updateStatus writes the counts: pods there, ready, available, at the
// current and at the update revision; once every pod is updated and
// ready, the update revision becomes the current one.
func (c *Controller) updateStatus(ctx context.Context, ss *appsv1.StatefulSet, pods []*corev1.Pod, current, update string) error {
	status := ss.Status.DeepCopy()
	status.ObservedGeneration = ss.Generation
	status.Replicas, status.ReadyReplicas, status.AvailableReplicas, status.CurrentReplicas, status.UpdatedReplicas = 0, 0, 0, 0, 0
	now := c.clock.Now()
	for _, pod := range pods {
		status.Replicas++
		if runningAndReady(pod) {
			status.ReadyReplicas++
			if !readySince(pod).Add(time.Duration(ss.Spec.MinReadySeconds) * time.Second).After(now) {
				status.AvailableReplicas++
			}
		}
		if pod.DeletionTimestamp != nil {
			continue
		}
		if pod.Labels[appsv1.ControllerRevisionHashLabelKey] == current {
			status.CurrentReplicas++
		}
		if pod.Labels[appsv1.ControllerRevisionHashLabelKey] == update {
			status.UpdatedReplicas++
		}
	}
	status.CurrentRevision, status.UpdateRevision = current, update
	replicas := ptr.Deref(ss.Spec.Replicas, 1)
	if status.UpdatedReplicas == replicas && status.ReadyReplicas == replicas && status.Replicas == replicas {
		status.CurrentRevision, status.CurrentReplicas = update, status.UpdatedReplicas
	}
	if apiequality.Semantic.DeepEqual(*status, ss.Status) {
		return nil
	}
	updated := ss.DeepCopy()
	updated.Status = *status
	_, err := c.client.AppsV1().StatefulSets(ss.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	return err
}

func allReady(wanted []slot) bool {
	for _, s := range wanted {
		if s.pod == nil || s.pod.DeletionTimestamp != nil || !runningAndReady(s.pod) {
			return false
		}
	}
	return true
}

func runningAndReady(pod *corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func readySince(pod *corev1.Pod) time.Time {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

// templateOf reads the pod template a revision holds.
func templateOf(revision *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
	if revision == nil {
		return nil, fmt.Errorf("no controller revision to make the pod from")
	}
	var data struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(revision.Data.Raw, &data); err != nil {
		return nil, fmt.Errorf("controller revision %s: %w", revision.Name, err)
	}
	return &data.Spec.Template, nil
}
