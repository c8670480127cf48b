// Package replicaset keeps the number of pods of each apps/v1 ReplicaSet,
// and of each core/v1 ReplicationController, at its replicas: it creates and
// deletes pods (in slow-start batches), adopts orphans that match the
// selector and releases pods that no longer match, and writes the status
// counts, as upstream's ReplicaSet and ReplicationManager controllers. A
// ReplicationController is handled as the ReplicaSet it converts to.
package replicaset

import (
	"context"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/expectations"
	"github.com/kybernetes/kybernetes/controllers/lib/ownership"
	"github.com/kybernetes/kybernetes/controllers/lib/podcontrol"
	"github.com/kybernetes/kybernetes/controllers/lib/podstatus"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// burstReplicas caps the pods one sync creates or deletes, as upstream.
const burstReplicas = 500

// Controller is the ReplicaSet (or ReplicationController) controller.
type Controller struct {
	name         string
	client       kubernetes.Interface
	owners       owners
	kind         schema.GroupVersionKind
	pods         corelisters.PodLister
	synced       []cache.InformerSynced
	queue        workqueue.TypedRateLimitingInterface[string]
	expectations *expectations.Expectations
	recorder     *events.Recorder
	podControl   *podcontrol.Control
}

// New returns a ReplicaSet controller fed by the replica set and pod informers.
func New(client kubernetes.Interface, replicaSets appsinformers.ReplicaSetInformer, pods coreinformers.PodInformer) *Controller {
	return newController("replicaset", "replicaset-controller", client, replicaSetOwners{client, replicaSets}, pods)
}

// NewForReplicationControllers returns the ReplicationController controller.
func NewForReplicationControllers(client kubernetes.Interface, controllers coreinformers.ReplicationControllerInformer, pods coreinformers.PodInformer) *Controller {
	return newController("replicationcontroller", "replication-controller", client, replicationControllerOwners{client, controllers}, pods)
}

func newController(name, component string, client kubernetes.Interface, owners owners, pods coreinformers.PodInformer) *Controller {
	c := &Controller{
		name:         name,
		client:       client,
		owners:       owners,
		kind:         owners.kind(),
		pods:         pods.Lister(),
		synced:       []cache.InformerSynced{owners.informer().HasSynced, pods.Informer().HasSynced},
		queue:        runner.NewQueue(name),
		expectations: expectations.New(),
		recorder:     events.NewRecorder(client, component),
	}
	c.podControl = &podcontrol.Control{Client: client, Expectations: c.expectations, Recorder: c.recorder}
	_, _ = owners.informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
		DeleteFunc: func(obj interface{}) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.expectations.Forget(key)
				c.queue.Add(key)
			}
		},
	})
	_, _ = pods.Informer().AddEventHandler(expectations.PodEventHandler(c.expectations, c.ownerKey, c.enqueuePodOwners))
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// ownerKey is the key of the replica set that controls pod, if any.
func (c *Controller) ownerKey(pod *corev1.Pod) string {
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != c.kind.Kind || ref.APIVersion != c.kind.GroupVersion().String() {
		return ""
	}
	return pod.Namespace + "/" + ref.Name
}

// enqueuePodOwners queues the pod's controller, or, for an orphan, every
// replica set whose selector matches it (one may adopt it).
func (c *Controller) enqueuePodOwners(pod *corev1.Pod) {
	if key := c.ownerKey(pod); key != "" {
		c.queue.Add(key)
		return
	}
	if pod.DeletionTimestamp != nil {
		return
	}
	sets, err := c.owners.list(pod.Namespace)
	if err != nil {
		return
	}
	for _, rs := range sets {
		if selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector); err == nil && !selector.Empty() && selector.Matches(labels.Set(pod.Labels)) {
			c.queue.Add(rs.Namespace + "/" + rs.Name)
		}
	}
}

// Run processes replica sets with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, c.name, c.queue, c.synced, workers, c.sync)
}

// sync makes one replica set's pods match its spec and records its status.
// While ready pods wait out minReadySeconds it looks again after that long,
// for no pod event will say when they become available.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	rs, err := c.owners.get(namespace, name)
	if apierrors.IsNotFound(err) {
		c.expectations.Forget(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return 0, err
	}
	all, err := c.pods.Pods(namespace).List(labels.Everything())
	if err != nil {
		return 0, err
	}
	owned, err := ownership.ClaimPods(ctx, c.client, rs, c.kind, selector, all)
	if err != nil {
		return 0, err
	}
	active := filterActive(owned)

	var manageErr error
	if c.expectations.Satisfied(key) && rs.DeletionTimestamp == nil {
		manageErr = c.manage(ctx, rs, key, active)
	}
	status, err := c.updateStatus(ctx, rs, active, manageErr)
	if err != nil {
		return 0, err
	}
	if manageErr == nil && status.ReadyReplicas > status.AvailableReplicas {
		return time.Duration(rs.Spec.MinReadySeconds) * time.Second, nil
	}
	return 0, manageErr
}

// filterActive drops pods that are finished or being deleted.
func filterActive(pods []*corev1.Pod) []*corev1.Pod {
	var active []*corev1.Pod
	for _, pod := range pods {
		if pod.DeletionTimestamp == nil && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
			active = append(active, pod)
		}
	}
	return active
}

// manage creates or deletes the difference between active pods and
// replicas.
func (c *Controller) manage(ctx context.Context, rs *appsv1.ReplicaSet, key string, active []*corev1.Pod) error {
	diff := len(active) - int(ptr.Deref(rs.Spec.Replicas, 1))
	switch {
	case diff < 0:
		create := make([]*corev1.Pod, min(-diff, burstReplicas))
		for i := range create {
			create[i] = newPod(rs, c.kind)
		}
		return c.podControl.Apply(ctx, key, c.reference(rs), create, nil)
	case diff > 0:
		return c.podControl.Apply(ctx, key, c.reference(rs), nil, podsToDelete(active, min(diff, burstReplicas)))
	}
	return nil
}

// reference names the object events are about: rs is a converted
// ReplicationController when the controller runs for those.
func (c *Controller) reference(rs *appsv1.ReplicaSet) *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: c.kind.Kind, APIVersion: c.kind.GroupVersion().String(),
		Namespace: rs.Namespace, Name: rs.Name, UID: rs.UID, ResourceVersion: rs.ResourceVersion}
}

// newPod makes a pod from the template, owned by rs.
func newPod(rs *appsv1.ReplicaSet, kind schema.GroupVersionKind) *corev1.Pod {
	t := rs.Spec.Template.DeepCopy()
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    rs.Name + "-",
			Namespace:       rs.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rs, kind)},
		},
		Spec: t.Spec,
	}
}

// podsToDelete picks the pods to delete first, as upstream ranks them:
// unscheduled before scheduled, pending before running, not ready before
// ready, then the youngest.
func podsToDelete(pods []*corev1.Pod, n int) []*corev1.Pod {
	ranked := append([]*corev1.Pod(nil), pods...)
	rank := func(p *corev1.Pod) [3]int {
		scheduled, running, ready := 0, 0, 0
		if p.Spec.NodeName != "" {
			scheduled = 1
		}
		if p.Status.Phase == corev1.PodRunning {
			running = 1
		}
		if podstatus.Ready(p) {
			ready = 1
		}
		return [3]int{scheduled, running, ready}
	}
	sort.SliceStable(ranked, func(i, j int) bool {
		ri, rj := rank(ranked[i]), rank(ranked[j])
		if ri != rj {
			for k := range ri {
				if ri[k] != rj[k] {
					return ri[k] < rj[k]
				}
			}
		}
		return ranked[i].CreationTimestamp.After(ranked[j].CreationTimestamp.Time)
	})
	return ranked[:n]
}

// updateStatus writes the counts if they changed and returns them.
// A failure to create or delete pods shows as the ReplicaFailure condition
// (a quota refusing pods, say), cleared once pods are managed again.
func (c *Controller) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet, active []*corev1.Pod, manageErr error) (appsv1.ReplicaSetStatus, error) {
	status := appsv1.ReplicaSetStatus{Replicas: int32(len(active)), ObservedGeneration: rs.Generation}
	for _, cond := range rs.Status.Conditions {
		if cond.Type != appsv1.ReplicaSetReplicaFailure || manageErr != nil {
			status.Conditions = append(status.Conditions, cond)
		}
	}
	if manageErr != nil && !hasCondition(status.Conditions, appsv1.ReplicaSetReplicaFailure) {
		reason := "FailedCreate"
		if int32(len(active)) > ptr.Deref(rs.Spec.Replicas, 1) {
			reason = "FailedDelete"
		}
		status.Conditions = append(status.Conditions, appsv1.ReplicaSetCondition{Type: appsv1.ReplicaSetReplicaFailure,
			Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now(), Reason: reason, Message: manageErr.Error()})
	}
	templateLabels := labels.Set(rs.Spec.Template.Labels).AsSelectorPreValidated()
	now := time.Now()
	for _, pod := range active {
		if templateLabels.Matches(labels.Set(pod.Labels)) {
			status.FullyLabeledReplicas++
		}
		if podstatus.Ready(pod) {
			status.ReadyReplicas++
			if podstatus.Available(pod, rs.Spec.MinReadySeconds, now) {
				status.AvailableReplicas++
			}
		}
	}
	if statusEqual(rs.Status, status) {
		return status, nil
	}
	updated := rs.DeepCopy()
	updated.Status = status
	err := c.owners.updateStatus(ctx, updated)
	if apierrors.IsNotFound(err) {
		return status, nil
	}
	return status, err
}

func statusEqual(a, b appsv1.ReplicaSetStatus) bool {
	return a.Replicas == b.Replicas && a.FullyLabeledReplicas == b.FullyLabeledReplicas && a.ReadyReplicas == b.ReadyReplicas &&
		a.AvailableReplicas == b.AvailableReplicas && a.ObservedGeneration == b.ObservedGeneration &&
		hasCondition(a.Conditions, appsv1.ReplicaSetReplicaFailure) == hasCondition(b.Conditions, appsv1.ReplicaSetReplicaFailure)
}

func hasCondition(conditions []appsv1.ReplicaSetCondition, t appsv1.ReplicaSetConditionType) bool {
	for _, c := range conditions {
		if c.Type == t {
			return true
		}
	}
	return false
}
