// Package daemonset runs one pod of each apps/v1 DaemonSet on every node
// that should have one, as upstream's DaemonSet controller: eligibility by
// nodeSelector, required node affinity and taints and tolerations; pods
// pinned to their node by affinity for the scheduler to bind; RollingUpdate
// within maxUnavailable or OnDelete; ControllerRevisions for `kubectl
// rollout history/undo`; and the status `kubectl get ds` and `kubectl
// rollout status` read.
package daemonset

import (
	"context"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/expectations"
	"github.com/kybernetes/kybernetes/controllers/lib/ownership"
	"github.com/kybernetes/kybernetes/controllers/lib/podcontrol"
	"github.com/kybernetes/kybernetes/controllers/lib/podstatus"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Controller is the DaemonSet controller.
type Controller struct {
	client       kubernetes.Interface
	daemonSets   appslisters.DaemonSetLister
	pods         corelisters.PodLister
	nodes        corelisters.NodeLister
	revisions    appslisters.ControllerRevisionLister
	synced       []cache.InformerSynced
	queue        workqueue.TypedRateLimitingInterface[string]
	expectations *expectations.Expectations
	recorder     *events.Recorder
	podControl   *podcontrol.Control
}

// New returns a controller fed by the daemon set, pod, node and controller
// revision informers.
func New(client kubernetes.Interface, daemonSets appsinformers.DaemonSetInformer, pods coreinformers.PodInformer,
	nodes coreinformers.NodeInformer, revisions appsinformers.ControllerRevisionInformer) *Controller {
	c := &Controller{
		client:     client,
		daemonSets: daemonSets.Lister(),
		pods:       pods.Lister(),
		nodes:      nodes.Lister(),
		revisions:  revisions.Lister(),
		synced: []cache.InformerSynced{daemonSets.Informer().HasSynced, pods.Informer().HasSynced,
			nodes.Informer().HasSynced, revisions.Informer().HasSynced},
		queue:        runner.NewQueue("daemonset"),
		expectations: expectations.New(),
		recorder:     events.NewRecorder(client, "daemonset-controller"),
	}
	c.podControl = &podcontrol.Control{Client: client, Expectations: c.expectations, Recorder: c.recorder}
	_, _ = daemonSets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
		DeleteFunc: func(obj interface{}) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.expectations.Forget(key)
				c.queue.Add(key)
			}
		},
	})
	_, _ = pods.Informer().AddEventHandler(expectations.PodEventHandler(c.expectations, ownerKey, c.enqueuePodOwners))
	// Any node change may change where daemons belong.
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(interface{}) { c.enqueueAll() },
		UpdateFunc: func(old, obj interface{}) {
			o, n := old.(*corev1.Node), obj.(*corev1.Node)
			if !labels.Equals(o.Labels, n.Labels) || !taintsEqual(o.Spec.Taints, n.Spec.Taints) {
				c.enqueueAll()
			}
		},
		DeleteFunc: func(interface{}) { c.enqueueAll() },
	})
	return c
}

func taintsEqual(a, b []corev1.Taint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].MatchTaint(&b[i]) {
			return false
		}
	}
	return true
}

func (c *Controller) enqueue(obj interface{}) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

func (c *Controller) enqueueAll() {
	sets, err := c.daemonSets.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range sets {
		c.enqueue(ds)
	}
}

func ownerKey(pod *corev1.Pod) string {
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != controllerKind.Kind || ref.APIVersion != controllerKind.GroupVersion().String() {
		return ""
	}
	return pod.Namespace + "/" + ref.Name
}

// enqueuePodOwners queues the pod's daemon set, or for an orphan every
// daemon set whose selector matches it.
func (c *Controller) enqueuePodOwners(pod *corev1.Pod) {
	if key := ownerKey(pod); key != "" {
		c.queue.Add(key)
		return
	}
	if pod.DeletionTimestamp != nil {
		return
	}
	sets, err := c.daemonSets.DaemonSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range sets {
		if selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector); err == nil && !selector.Empty() && selector.Matches(labels.Set(pod.Labels)) {
			c.enqueue(ds)
		}
	}
}

// Run processes daemon sets with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "daemonset", c.queue, c.synced, workers, c.sync)
}

// nodeState is one node as one daemon set sees it.
type nodeState struct {
	node                   *corev1.Node
	shouldRun, mayContinue bool
	pods                   []*corev1.Pod // the daemon's pods for this node, oldest first
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	ds, err := c.daemonSets.DaemonSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		c.expectations.Forget(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	ds = ds.DeepCopy()
	if ds.DeletionTimestamp != nil {
		return 0, nil // the garbage collector takes its pods
	}
	revisions, err := c.ownedRevisions(ds)
	if err != nil {
		return 0, err
	}
	hash, err := c.currentRevision(ctx, ds, revisions)
	if err != nil {
		return 0, err
	}
	pods, err := c.claimPods(ctx, ds)
	if err != nil {
		return 0, err
	}
	states, strays, err := c.nodeStates(ds, pods)
	if err != nil {
		return 0, err
	}
	var manageErr error
	if c.expectations.Satisfied(key) {
		create, remove := plan(ds, states, strays, hash, time.Now())
		manageErr = c.apply(ctx, ds, key, hash, create, remove)
	}
	if err := c.trimHistory(ctx, ds, revisions, pods, hash); err != nil {
		return 0, err
	}
	status := computeStatus(ds, states, hash, time.Now())
	if err := c.updateStatus(ctx, ds, status); err != nil {
		return 0, err
	}
	if manageErr == nil && status.NumberReady > status.NumberAvailable {
		// Ready pods become available after minReadySeconds; no event says so.
		return time.Duration(ds.Spec.MinReadySeconds) * time.Second, nil
	}
	return 0, manageErr
}

func (c *Controller) claimPods(ctx context.Context, ds *appsv1.DaemonSet) ([]*corev1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, err
	}
	all, err := c.pods.Pods(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	return ownership.ClaimPods(ctx, c.client, ds, controllerKind, selector, all)
}

// nodeStates places the daemon's live pods on their nodes; strays are
// pods for nodes that no longer exist.
func (c *Controller) nodeStates(ds *appsv1.DaemonSet, pods []*corev1.Pod) ([]*nodeState, []*corev1.Pod, error) {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return nil, nil, err
	}
	byNode := map[string]*nodeState{}
	states := make([]*nodeState, 0, len(nodes))
	for _, node := range nodes {
		s := &nodeState{node: node}
		s.shouldRun, s.mayContinue = placement(ds, node)
		byNode[node.Name] = s
		states = append(states, s)
	}
	sort.Slice(states, func(i, j int) bool { return states[i].node.Name < states[j].node.Name })
	var strays []*corev1.Pod
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if s := byNode[targetNode(pod)]; s != nil {
			s.pods = append(s.pods, pod)
		} else {
			strays = append(strays, pod)
		}
	}
	for _, s := range states {
		sort.Slice(s.pods, func(i, j int) bool {
			return s.pods[i].CreationTimestamp.Before(&s.pods[j].CreationTimestamp) ||
				s.pods[i].CreationTimestamp.Equal(&s.pods[j].CreationTimestamp) && s.pods[i].Name < s.pods[j].Name
		})
	}
	return states, strays, nil
}

// plan lists the nodes that need a pod and the pods to delete: pods where
// the daemon may no longer run, failed pods (replaced on a later sync),
// duplicates, pods of vanished nodes, and what the update strategy calls
// for: with RollingUpdate, old-revision pods within maxUnavailable, or with
// maxSurge a new pod beside the old one on up to maxSurge nodes at a time,
// the old one going once the new one is available.
func plan(ds *appsv1.DaemonSet, states []*nodeState, strays []*corev1.Pod, hash string, now time.Time) (create []string, remove []*corev1.Pod) {
	rolling := ds.Spec.UpdateStrategy.Type != appsv1.OnDeleteDaemonSetStrategyType && ds.Spec.UpdateStrategy.RollingUpdate != nil
	surge := 0
	if rolling {
		surge = scaled(ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge, len(states))
	}
	remove = append(remove, strays...)
	for _, s := range states {
		switch {
		case !s.mayContinue:
			remove = append(remove, s.pods...)
		case len(s.pods) == 0 && s.shouldRun:
			create = append(create, s.node.Name)
		default:
			var running []*corev1.Pod
			for _, pod := range s.pods {
				if pod.Status.Phase == corev1.PodFailed {
					remove = append(remove, pod)
				} else {
					running = append(running, pod)
				}
			}
			keep := 1
			if surge > 0 && len(running) > 1 && newestFirst(running, hash) {
				keep = 2 // a surge pod beside the old one it replaces
			}
			if len(running) > keep {
				remove = append(remove, running[keep:]...)
			}
			s.pods = running[:min(len(running), keep)]
		}
	}
	if !rolling {
		return create, remove
	}
	if surge > 0 {
		c, r := planSurge(ds, states, hash, surge, now)
		return append(create, c...), append(remove, r...)
	}
	return create, append(remove, planUnavailable(ds, states, hash, now)...)
}

// newestFirst puts a current-revision pod first, the oldest old one after
// it, and reports whether the node has both.
func newestFirst(pods []*corev1.Pod, hash string) bool {
	for i, pod := range pods {
		if pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash {
			if i == 0 {
				return len(pods) > 1 && pods[1].Labels[appsv1.DefaultDaemonSetUniqueLabelKey] != hash
			}
			pods[0], pods[i] = pods[i], pods[0]
			return true
		}
	}
	return false
}

// scaled is a maxSurge or maxUnavailable value for n nodes, rounded up.
func scaled(value *intstr.IntOrString, n int) int {
	if value == nil {
		return 0
	}
	v, err := intstr.GetScaledValueFromIntOrPercent(value, n, true)
	if err != nil {
		return 0
	}
	return v
}

// planUnavailable deletes old-revision pods while no more than
// maxUnavailable nodes are without an available daemon; old pods that are
// down anyway go at once.
func planUnavailable(ds *appsv1.DaemonSet, states []*nodeState, hash string, now time.Time) (remove []*corev1.Pod) {
	desired, unavailable := 0, 0
	var oldAvailable []*corev1.Pod
	for _, s := range states {
		if !s.shouldRun {
			continue
		}
		desired++
		if len(s.pods) == 0 {
			unavailable++
			continue
		}
		pod := s.pods[0]
		available := podstatus.Available(pod, ds.Spec.MinReadySeconds, now)
		if !available {
			unavailable++
		}
		if pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash {
			continue
		}
		if !available {
			remove = append(remove, pod)
		} else {
			oldAvailable = append(oldAvailable, pod)
		}
	}
	maxUnavailable := max(scaled(ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable, desired), 1)
	for _, pod := range oldAvailable {
		if unavailable >= maxUnavailable {
			break
		}
		remove = append(remove, pod)
		unavailable++
	}
	return remove
}

// planSurge starts a new pod beside an available old one on up to
// maxSurge nodes at a time and deletes the old one once the new one is
// available; an old pod that is down is replaced without a surge.
func planSurge(ds *appsv1.DaemonSet, states []*nodeState, hash string, maxSurge int, now time.Time) (create []string, remove []*corev1.Pod) {
	isNew := func(pod *corev1.Pod) bool { return pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash }
	surging := 0
	var waiting []*nodeState // nodes with only an available old pod
	for _, s := range states {
		if !s.shouldRun || len(s.pods) == 0 {
			continue
		}
		first := s.pods[0]
		switch {
		case len(s.pods) == 2 && podstatus.Available(first, ds.Spec.MinReadySeconds, now):
			remove = append(remove, s.pods[1]) // the surge pod took over
		case len(s.pods) == 2:
			surging++
		case isNew(first):
		case !podstatus.Available(first, ds.Spec.MinReadySeconds, now):
			remove = append(remove, first) // down anyway: replace it outright
		default:
			waiting = append(waiting, s)
		}
	}
	for _, s := range waiting {
		if surging >= maxSurge {
			break
		}
		create = append(create, s.node.Name)
		surging++
	}
	return create, remove
}

// apply creates a daemon pod on each node of create and deletes remove.
func (c *Controller) apply(ctx context.Context, ds *appsv1.DaemonSet, key, hash string, create []string, remove []*corev1.Pod) error {
	pods := make([]*corev1.Pod, len(create))
	for i, node := range create {
		pods[i] = newPod(ds, node, hash)
	}
	return c.podControl.Apply(ctx, key, ds, pods, remove)
}

// computeStatus counts nodes, as upstream: each node's daemon pod (its
// oldest) stands for that node.
func computeStatus(ds *appsv1.DaemonSet, states []*nodeState, hash string, now time.Time) appsv1.DaemonSetStatus {
	status := appsv1.DaemonSetStatus{ObservedGeneration: ds.Generation, CollisionCount: ds.Status.CollisionCount, Conditions: ds.Status.Conditions}
	for _, s := range states {
		switch {
		case s.shouldRun:
			status.DesiredNumberScheduled++
			if len(s.pods) == 0 {
				continue
			}
			status.CurrentNumberScheduled++
			pod := s.pods[0]
			if pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash {
				status.UpdatedNumberScheduled++
			}
			if podstatus.Ready(pod) {
				status.NumberReady++
				if podstatus.Available(pod, ds.Spec.MinReadySeconds, now) {
					status.NumberAvailable++
				}
			}
		case len(s.pods) > 0:
			status.NumberMisscheduled++
		}
	}
	status.NumberUnavailable = status.DesiredNumberScheduled - status.NumberAvailable
	return status
}

func (c *Controller) updateStatus(ctx context.Context, ds *appsv1.DaemonSet, status appsv1.DaemonSetStatus) error {
	s := ds.Status
	if s.ObservedGeneration == status.ObservedGeneration && s.DesiredNumberScheduled == status.DesiredNumberScheduled &&
		s.CurrentNumberScheduled == status.CurrentNumberScheduled && s.NumberMisscheduled == status.NumberMisscheduled &&
		s.NumberReady == status.NumberReady && s.UpdatedNumberScheduled == status.UpdatedNumberScheduled &&
		s.NumberAvailable == status.NumberAvailable && s.NumberUnavailable == status.NumberUnavailable {
		return nil
	}
	ds.Status = status
	_, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, ds, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
