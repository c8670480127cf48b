// Package deployment rolls apps/v1 Deployments out through ReplicaSets, as
// upstream's deployment controller: one ReplicaSet per pod template (named
// and labelled by its pod-template-hash), revision annotations that
// `kubectl rollout history/undo` read, RollingUpdate within maxSurge and
// maxUnavailable or Recreate, pause, old ReplicaSets kept up to
// revisionHistoryLimit, and the status and Available/Progressing conditions
// that `kubectl rollout status` waits on.
package deployment

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/ownership"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

var controllerKind = appsv1.SchemeGroupVersion.WithKind("Deployment")

// Controller is the deployment controller.
type Controller struct {
	client      kubernetes.Interface
	deployments appslisters.DeploymentLister
	replicaSets appslisters.ReplicaSetLister
	pods        corelisters.PodLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	recorder    *events.Recorder
}

// New returns a controller fed by the deployment, replica set and pod
// informers; pods tell a Recreate rollout when the old pods are gone.
func New(client kubernetes.Interface, deployments appsinformers.DeploymentInformer, replicaSets appsinformers.ReplicaSetInformer, pods coreinformers.PodInformer) *Controller {
	c := &Controller{
		client:      client,
		deployments: deployments.Lister(),
		replicaSets: replicaSets.Lister(),
		pods:        pods.Lister(),
		synced:      []cache.InformerSynced{deployments.Informer().HasSynced, replicaSets.Informer().HasSynced, pods.Informer().HasSynced},
		queue:       runner.NewQueue("deployment"),
		recorder:    events.NewRecorder(client, "deployment-controller"),
	}
	enqueue := func(obj interface{}) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	_, _ = deployments.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj interface{}) { enqueue(obj) }, DeleteFunc: enqueue,
	})
	_, _ = replicaSets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueOwner,
		UpdateFunc: func(old, obj interface{}) { c.enqueueOwner(old); c.enqueueOwner(obj) },
		DeleteFunc: c.enqueueOwner,
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj interface{}) {
			if pod := obj.(*corev1.Pod); pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
				c.enqueueRecreateOf(pod)
			}
		},
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				c.enqueueRecreateOf(pod)
			}
		},
	})
	return c
}

// enqueueRecreateOf queues the Recreate deployment whose replica set owned
// pod: a finished or deleted old pod may be the one its rollout waits for.
func (c *Controller) enqueueRecreateOf(pod *corev1.Pod) {
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	rs, err := c.replicaSets.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return
	}
	owner := metav1.GetControllerOf(rs)
	if owner == nil || owner.Kind != controllerKind.Kind {
		return
	}
	d, err := c.deployments.Deployments(rs.Namespace).Get(owner.Name)
	if err == nil && d.UID == owner.UID && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		c.queue.Add(d.Namespace + "/" + d.Name)
	}
}

// enqueueOwner queues the replica set's deployment, or for an orphan every
// deployment whose selector matches it.
func (c *Controller) enqueueOwner(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	rs, ok := obj.(*appsv1.ReplicaSet)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOf(rs); ref != nil {
		if ref.Kind == controllerKind.Kind {
			c.queue.Add(rs.Namespace + "/" + ref.Name)
		}
		return
	}
	deployments, _ := c.deployments.Deployments(rs.Namespace).List(labels.Everything())
	for _, d := range deployments {
		if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil && !s.Empty() && s.Matches(labels.Set(rs.Labels)) {
			c.queue.Add(d.Namespace + "/" + d.Name)
		}
	}
}

// Run processes deployments until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "deployment", c.queue, c.synced, workers, c.sync)
}

// sync takes one step of the rollout and records status; while a rollout
// runs under a progress deadline it looks again when the deadline passes.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	d, err := c.deployments.Deployments(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	d = d.DeepCopy()
	stored := *d.Status.DeepCopy()
	owned, err := c.claimReplicaSets(ctx, d)
	if err != nil {
		return 0, err
	}
	if d.DeletionTimestamp != nil {
		return c.updateStatus(ctx, d, stored, nil, owned)
	}
	newRS, old := splitNewAndOld(d, owned)
	if d.Spec.Paused {
		// A paused deployment starts no rollout (no new replica set) but
		// still follows its replica count, as upstream.
		if err := c.apply(ctx, d, pausedScalePlan(d, newRS, old), owned); err != nil {
			return 0, err
		}
		if err := c.cleanup(ctx, d, old); err != nil {
			return 0, err
		}
		return c.updateStatus(ctx, d, stored, newRS, owned)
	}
	if newRS, err = c.ensureNewReplicaSet(ctx, d, newRS, old); err != nil {
		return 0, err
	}
	if err := c.scale(ctx, d, newRS, old); err != nil {
		return 0, err
	}
	if err := c.cleanup(ctx, d, old); err != nil {
		return 0, err
	}
	return c.updateStatus(ctx, d, stored, newRS, append([]*appsv1.ReplicaSet{newRS}, old...))
}

// claimReplicaSets adopts matching orphans and releases owned sets that no
// longer match, returning the sets the deployment controls.
func (c *Controller) claimReplicaSets(ctx context.Context, d *appsv1.Deployment) ([]*appsv1.ReplicaSet, error) {
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, err
	}
	all, err := c.replicaSets.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	return ownership.Claim(ctx, d, controllerKind, selector, all,
		func(ctx context.Context, namespace, name string, patch []byte) (*appsv1.ReplicaSet, error) {
			return c.client.AppsV1().ReplicaSets(namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		})
}

func splitNewAndOld(d *appsv1.Deployment, owned []*appsv1.ReplicaSet) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet) {
	var newRS *appsv1.ReplicaSet
	var old []*appsv1.ReplicaSet
	sort.Slice(owned, func(i, j int) bool { return owned[i].CreationTimestamp.Before(&owned[j].CreationTimestamp) })
	for _, rs := range owned {
		if newRS == nil && sameTemplate(&rs.Spec.Template, &d.Spec.Template) {
			newRS = rs
		} else {
			old = append(old, rs)
		}
	}
	return newRS, old
}

// ensureNewReplicaSet creates the replica set of the current template, or
// gives an existing one (a rollback) the newest revision.
func (c *Controller) ensureNewReplicaSet(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	maxOld := int64(0)
	for _, rs := range old {
		maxOld = max(maxOld, revision(rs))
	}
	next := strconv.FormatInt(maxOld+1, 10)
	if newRS != nil {
		if revision(newRS) > maxOld {
			return newRS, nil
		}
		updated := newRS.DeepCopy()
		updated.Annotations = maps.Clone(updated.Annotations)
		if updated.Annotations == nil {
			updated.Annotations = map[string]string{}
		}
		updated.Annotations[RevisionAnnotation] = next
		return c.client.AppsV1().ReplicaSets(d.Namespace).Update(ctx, updated, metav1.UpdateOptions{})
	}
	hash := templateHash(&d.Spec.Template, d.Status.CollisionCount)
	template := d.Spec.Template.DeepCopy()
	template.Labels = maps.Clone(template.Labels)
	if template.Labels == nil {
		template.Labels = map[string]string{}
	}
	template.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	selector := d.Spec.Selector.DeepCopy()
	if selector.MatchLabels == nil {
		selector.MatchLabels = map[string]string{}
	}
	selector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	annotations := maps.Clone(d.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	delete(annotations, "kubectl.kubernetes.io/last-applied-configuration")
	annotations[RevisionAnnotation] = next
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            d.Name + "-" + hash,
			Namespace:       d.Namespace,
			Labels:          template.Labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), Selector: selector, Template: *template, MinReadySeconds: d.Spec.MinReadySeconds},
	}
	created, err := c.client.AppsV1().ReplicaSets(d.Namespace).Create(ctx, rs, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil, c.nameTaken(ctx, d, rs.Name)
	}
	if err != nil {
		return nil, err
	}
	// A new rollout starts its progress clock now.
	setCondition(&d.Status, appsv1.DeploymentProgressing, corev1.ConditionTrue, "NewReplicaSetCreated",
		fmt.Sprintf("Created new replica set %q", created.Name))
	return created, nil
}

// nameTaken handles a new replica set's name already in use. If the set is
// this deployment's own with the current template, the cache is behind and
// the next sync finds it. Otherwise the pod-template hash collides with
// another set's name: as upstream, status.collisionCount goes up, which
// changes the hash, and the next sync tries the new name.
func (c *Controller) nameTaken(ctx context.Context, d *appsv1.Deployment, name string) error {
	existing, err := c.client.AppsV1().ReplicaSets(d.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if metav1.IsControlledBy(existing, d) && sameTemplate(&existing.Spec.Template, &d.Spec.Template) {
		return fmt.Errorf("replica set %s exists but is not in the cache yet", name)
	}
	updated := d.DeepCopy()
	updated.Status.CollisionCount = ptr.To(ptr.Deref(d.Status.CollisionCount, 0) + 1)
	if _, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return err
	}
	return fmt.Errorf("replica set name %s is taken by another set: collision count now %d", name, *updated.Status.CollisionCount)
}

// scale takes one step of the strategy.
func (c *Controller) scale(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) error {
	desired := ptr.Deref(d.Spec.Replicas, 1)
	plan := map[string]int32{}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		for _, rs := range old {
			plan[rs.Name] = 0
		}
		plan[newRS.Name] = replicas(newRS)
		running, err := c.oldPodsRunning(d, newRS, old)
		if err != nil {
			return err
		}
		if !running {
			plan[newRS.Name] = desired
		}
	} else {
		plan = rollingUpdatePlan(d, newRS, old)
	}
	return c.apply(ctx, d, plan, append([]*appsv1.ReplicaSet{newRS}, old...))
}

// oldPodsRunning says whether a Recreate rollout must still wait: an old
// set reports replicas, or a pod of an old set is in the pod list and not
// finished (terminating pods count: they may still be running).
func (c *Controller) oldPodsRunning(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) (bool, error) {
	oldUIDs := map[types.UID]bool{}
	for _, rs := range old {
		if rs.Status.Replicas > 0 {
			return true, nil
		}
		oldUIDs[rs.UID] = true
	}
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return false, err
	}
	pods, err := c.pods.Pods(d.Namespace).List(selector)
	if err != nil {
		return false, err
	}
	for _, pod := range pods {
		ref := metav1.GetControllerOf(pod)
		if ref == nil || !oldUIDs[ref.UID] || ref.UID == newRS.UID {
			continue
		}
		if pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
			return true, nil
		}
	}
	return false, nil
}

// apply sets each replica set in plan to its planned size, with the
// deployment's desired and maximum sizes annotated, as upstream.
func (c *Controller) apply(ctx context.Context, d *appsv1.Deployment, plan map[string]int32, sets []*appsv1.ReplicaSet) error {
	desired := ptr.Deref(d.Spec.Replicas, 1)
	surge, _ := surgeAndUnavailable(d)
	for _, rs := range sets {
		if rs == nil {
			continue
		}
		want, ok := plan[rs.Name]
		if !ok || (want == replicas(rs) && rs.Annotations[DesiredReplicasAnnotation] == strconv.Itoa(int(desired))) {
			continue
		}
		updated := rs.DeepCopy()
		updated.Spec.Replicas = ptr.To(want)
		updated.Annotations = maps.Clone(updated.Annotations)
		if updated.Annotations == nil {
			updated.Annotations = map[string]string{}
		}
		updated.Annotations[DesiredReplicasAnnotation] = strconv.Itoa(int(desired))
		updated.Annotations[MaxReplicasAnnotation] = strconv.Itoa(int(desired + surge))
		if _, err := c.client.AppsV1().ReplicaSets(rs.Namespace).Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if from := replicas(rs); want != from {
			direction := "up"
			if want < from {
				direction = "down"
			}
			c.recorder.Eventf(d, corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", direction, rs.Name, from, want)
		}
	}
	return nil
}

// cleanup deletes the oldest scaled-down replica sets beyond
// revisionHistoryLimit.
func (c *Controller) cleanup(ctx context.Context, d *appsv1.Deployment, old []*appsv1.ReplicaSet) error {
	limit := int(ptr.Deref(d.Spec.RevisionHistoryLimit, 10))
	var idle []*appsv1.ReplicaSet
	for _, rs := range old {
		if replicas(rs) == 0 && rs.Status.Replicas == 0 && rs.DeletionTimestamp == nil {
			idle = append(idle, rs)
		}
	}
	sort.Slice(idle, func(i, j int) bool { return revision(idle[i]) < revision(idle[j]) })
	for _, rs := range idle[:max(len(idle)-limit, 0)] {
		err := c.client.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &rs.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// updateStatus writes counts and the Available and Progressing conditions,
// and says when to look again for the progress deadline. stored is the
// status as read, d's may hold conditions this sync set.
func (c *Controller) updateStatus(ctx context.Context, d *appsv1.Deployment, stored appsv1.DeploymentStatus, newRS *appsv1.ReplicaSet, all []*appsv1.ReplicaSet) (time.Duration, error) {
	desired := ptr.Deref(d.Spec.Replicas, 1)
	status := appsv1.DeploymentStatus{ObservedGeneration: d.Generation, CollisionCount: d.Status.CollisionCount,
		Conditions: append([]appsv1.DeploymentCondition(nil), d.Status.Conditions...)}
	for _, rs := range all {
		if rs == nil {
			continue
		}
		status.Replicas += rs.Status.Replicas
		status.ReadyReplicas += rs.Status.ReadyReplicas
		status.AvailableReplicas += rs.Status.AvailableReplicas
	}
	if newRS != nil {
		status.UpdatedReplicas = newRS.Status.Replicas
	}
	status.UnavailableReplicas = max(desired-status.AvailableReplicas, 0)
	var recheck time.Duration

	_, unavailable := surgeAndUnavailable(d)
	if status.AvailableReplicas >= desired-unavailable {
		setCondition(&status, appsv1.DeploymentAvailable, corev1.ConditionTrue, "MinimumReplicasAvailable", "Deployment has minimum availability.")
	} else {
		setCondition(&status, appsv1.DeploymentAvailable, corev1.ConditionFalse, "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
	}
	switch {
	case d.Spec.Paused:
		setCondition(&status, appsv1.DeploymentProgressing, corev1.ConditionUnknown, "DeploymentPaused", "Deployment is paused")
	case newRS != nil && status.UpdatedReplicas == desired && status.AvailableReplicas == desired && status.Replicas == desired:
		setCondition(&status, appsv1.DeploymentProgressing, corev1.ConditionTrue, "NewReplicaSetAvailable",
			fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.Name))
	case newRS != nil:
		recheck = trackProgress(d, stored, &status, newRS.Name, time.Now())
	}
	if statusEqual(stored, status) {
		return recheck, nil
	}
	d.Status = status
	_, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	return recheck, err
}

// trackProgress sets the Progressing condition of a rollout under way, as
// upstream: any progress (more updated, ready or available pods, fewer old
// ones) renews its lastUpdateTime; none for progressDeadlineSeconds turns
// it False with reason ProgressDeadlineExceeded, which `kubectl rollout
// status` reports as a failed rollout. It returns when to check again.
func trackProgress(d *appsv1.Deployment, old appsv1.DeploymentStatus, status *appsv1.DeploymentStatus, newRS string, now time.Time) time.Duration {
	progressed := status.UpdatedReplicas > old.UpdatedReplicas || status.ReadyReplicas > old.ReadyReplicas ||
		status.AvailableReplicas > old.AvailableReplicas || status.Replicas-status.UpdatedReplicas < old.Replicas-old.UpdatedReplicas
	cond := condition(status, appsv1.DeploymentProgressing)
	if progressed || cond == nil || cond.Reason == "DeploymentPaused" || cond.Reason == "NewReplicaSetAvailable" {
		setCondition(status, appsv1.DeploymentProgressing, corev1.ConditionTrue, "ReplicaSetUpdated",
			fmt.Sprintf("ReplicaSet %q is progressing.", newRS))
		cond = condition(status, appsv1.DeploymentProgressing)
		cond.LastUpdateTime = metav1.NewTime(now)
	}
	if d.Spec.ProgressDeadlineSeconds == nil || cond.Status != corev1.ConditionTrue {
		return 0
	}
	deadline := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second)
	if now.Before(deadline) {
		return deadline.Sub(now) + time.Second
	}
	setCondition(status, appsv1.DeploymentProgressing, corev1.ConditionFalse, "ProgressDeadlineExceeded",
		fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS))
	return 0
}

func condition(status *appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

// setCondition sets a condition, keeping its transition time unless its
// status changes.
func setCondition(status *appsv1.DeploymentStatus, t appsv1.DeploymentConditionType, s corev1.ConditionStatus, reason, message string) {
	now := metav1.Now()
	for i := range status.Conditions {
		c := &status.Conditions[i]
		if c.Type != t {
			continue
		}
		if c.Status != s {
			c.LastTransitionTime = now
		}
		if c.Status != s || c.Reason != reason || c.Message != message {
			c.LastUpdateTime = now
		}
		c.Status, c.Reason, c.Message = s, reason, message
		return
	}
	status.Conditions = append(status.Conditions, appsv1.DeploymentCondition{Type: t, Status: s, Reason: reason, Message: message,
		LastUpdateTime: now, LastTransitionTime: now})
}

func statusEqual(a, b appsv1.DeploymentStatus) bool {
	if a.ObservedGeneration != b.ObservedGeneration || a.Replicas != b.Replicas || a.UpdatedReplicas != b.UpdatedReplicas ||
		a.ReadyReplicas != b.ReadyReplicas || a.AvailableReplicas != b.AvailableReplicas || a.UnavailableReplicas != b.UnavailableReplicas ||
		len(a.Conditions) != len(b.Conditions) {
		return false
	}
	for i := range a.Conditions {
		x, y := a.Conditions[i], b.Conditions[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message {
			return false
		}
	}
	return true
}
