// Package scheduler places pods on nodes, as upstream's kube-scheduler with
// its default plugins: it watches pods without a node whose
// spec.schedulerName is its own, filters the nodes (unschedulable, node
// name, taints and tolerations, node selector and required node affinity,
// host ports, resources, volumes: the node affinity of bound ones, and for
// claims that wait for their first consumer a volume or provisioning on the
// node, see volumes.go; inter-pod affinity and anti-affinity), scores the feasible ones (least allocated,
// balanced allocation, spreading of a Service's, RC's or RS's pods across
// nodes and zones, preferred node and pod affinity, PreferNoSchedule
// taints), and binds through pods/binding. A pod that fits nowhere gets
// PodScheduled=False (Unschedulable) and a FailedScheduling event in
// upstream's words, and is tried again with back-off when nodes or pods
// change. Pods are assumed onto their node before the binding is written,
// so that pods scheduled back to back count each other's requests.
package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	policylisters "k8s.io/client-go/listers/policy/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// DefaultSchedulerName is the spec.schedulerName pods get by default.
const DefaultSchedulerName = corev1.DefaultSchedulerName

// Back-off of a pod that fits nowhere, upstream's defaults.
const (
	initialBackoff = time.Second
	maxBackoff     = 10 * time.Second
	// unschedulableFlush retries waiting pods even without a cluster
	// change (a change the scheduler does not watch may have helped).
	unschedulableFlush = 30 * time.Second
	// bindingWorkers write bindings while the next pods are scheduled.
	bindingWorkers = 16
)

// Scheduler is one scheduler, by name.
type Scheduler struct {
	name   string
	client kubernetes.Interface
	cache  *nodeCache
	queue  workqueue.TypedRateLimitingInterface[string]

	pods        corelisters.PodLister
	claims      corelisters.PersistentVolumeClaimLister
	volumes     corelisters.PersistentVolumeLister
	classes     storagelisters.StorageClassLister
	services    corelisters.ServiceLister
	controllers corelisters.ReplicationControllerLister
	replicaSets appslisters.ReplicaSetLister
	namespaces  corelisters.NamespaceLister
	// disruptionBudgets weigh preemption victims.
	disruptionBudgets policylisters.PodDisruptionBudgetLister
	synced            []cache.InformerSynced
	recorder          *events.Recorder

	// percentageOfNodesToScore bounds how many feasible nodes a cycle
	// looks for (0: upstream's adaptive default).
	percentageOfNodesToScore int
	nextStart                int

	mu sync.Mutex
	// waiting are the pods that fit nowhere, with when they may be tried
	// again and how often they have failed.
	waiting  map[string]time.Time
	attempts map[string]int
	// nominated are the pods waiting for the room a preemption made.
	nominated map[types.UID]nomination

	bindings chan binding
}

type binding struct {
	key  string
	info *podInfo
	node string
	// volumes are what binding the pod's delayed claims on the node takes.
	volumes []volumeBinding
	// preempt, for a pod that fits nowhere, is the room to make for it.
	preempt *preemption
}

// New returns a scheduler named name on factory's informers.
func New(name string, client kubernetes.Interface, factory informers.SharedInformerFactory, percentageOfNodesToScore int) *Scheduler {
	core := factory.Core().V1()
	s := &Scheduler{
		name:        name,
		client:      client,
		cache:       newCache(),
		queue:       runner.NewQueue("scheduler"),
		pods:        core.Pods().Lister(),
		claims:      core.PersistentVolumeClaims().Lister(),
		volumes:     core.PersistentVolumes().Lister(),
		classes:     factory.Storage().V1().StorageClasses().Lister(),
		services:    core.Services().Lister(),
		controllers: core.ReplicationControllers().Lister(),
		replicaSets: factory.Apps().V1().ReplicaSets().Lister(),
		namespaces:  core.Namespaces().Lister(),
		recorder:    events.NewRecorder(client, name),
		waiting:     map[string]time.Time{},
		attempts:    map[string]int{},
		nominated:   map[types.UID]nomination{},

		disruptionBudgets: factory.Policy().V1().PodDisruptionBudgets().Lister(),
		bindings:          make(chan binding, 1000),

		percentageOfNodesToScore: percentageOfNodesToScore,
	}
	for _, informer := range []cache.SharedIndexInformer{core.Pods().Informer(), core.Nodes().Informer(),
		core.PersistentVolumeClaims().Informer(), core.PersistentVolumes().Informer(), core.Services().Informer(),
		core.ReplicationControllers().Informer(), factory.Apps().V1().ReplicaSets().Informer(), core.Namespaces().Informer(),
		factory.Storage().V1().StorageClasses().Informer(), factory.Policy().V1().PodDisruptionBudgets().Informer()} {
		s.synced = append(s.synced, informer.HasSynced)
	}
	_, _ = core.Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { s.podChanged(nil, obj.(*corev1.Pod)) },
		UpdateFunc: func(old, obj interface{}) { s.podChanged(old.(*corev1.Pod), obj.(*corev1.Pod)) },
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				s.cache.removePod(pod.UID)
				s.unnominate(pod.UID)
				s.forgetWaiting(keyOf(pod))
				if pod.Spec.NodeName != "" {
					s.retryWaiting() // its room is free
				}
			}
		},
	})
	_, _ = core.Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) { s.cache.setNode(obj.(*corev1.Node)); s.retryWaiting() },
		UpdateFunc: func(old, obj interface{}) {
			o, n := old.(*corev1.Node), obj.(*corev1.Node)
			s.cache.setNode(n)
			if !apiequality.Semantic.DeepEqual(o.Spec, n.Spec) || !apiequality.Semantic.DeepEqual(o.Labels, n.Labels) ||
				!apiequality.Semantic.DeepEqual(o.Status.Allocatable, n.Status.Allocatable) {
				s.retryWaiting()
			}
		},
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if node, ok := obj.(*corev1.Node); ok {
				s.cache.removeNode(node.Name)
			}
		},
	})
	// A claim getting bound, a volume or a class appearing may let a
	// waiting pod in.
	_, _ = core.PersistentVolumeClaims().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, _ interface{}) { s.retryWaiting() },
	})
	_, _ = core.PersistentVolumes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(interface{}) { s.retryWaiting() },
	})
	_, _ = factory.Storage().V1().StorageClasses().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(interface{}) { s.retryWaiting() },
	})
	return s
}

func keyOf(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

// responsibleFor: a pod this scheduler should place; a pod with
// scheduling gates waits until they are all removed.
func (s *Scheduler) responsibleFor(pod *corev1.Pod) bool {
	return pod.Spec.NodeName == "" && pod.DeletionTimestamp == nil && pod.Spec.SchedulerName == s.name &&
		len(pod.Spec.SchedulingGates) == 0 &&
		pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed
}

func (s *Scheduler) podChanged(old, pod *corev1.Pod) {
	s.trackNomination(pod)
	if pod.Spec.NodeName != "" {
		s.cache.addPod(pod)
		if old != nil && (pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed) &&
			old.Status.Phase != pod.Status.Phase {
			s.retryWaiting() // a finished pod frees its room
		}
		return
	}
	if !s.responsibleFor(pod) {
		return
	}
	// Status writes (our own PodScheduled condition among them) change
	// nothing about where the pod fits.
	if old != nil && apiequality.Semantic.DeepEqual(old.Spec, pod.Spec) && apiequality.Semantic.DeepEqual(old.Labels, pod.Labels) {
		return
	}
	s.queue.Add(keyOf(pod))
}

// Run schedules until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	s.recorder.Start(ctx)
	for range bindingWorkers {
		go s.bindLoop(ctx)
	}
	go wait.UntilWithContext(ctx, func(context.Context) { s.retryWaiting() }, unschedulableFlush)
	// One scheduling loop, as upstream: cycles see each other's
	// assumptions in order.
	runner.Run(ctx, s.name, s.queue, s.synced, 1, runner.Always(s.scheduleOne))
}

// retryWaiting moves the pods that fit nowhere back to the queue, each
// after what is left of its back-off.
func (s *Scheduler) retryWaiting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, at := range s.waiting {
		delete(s.waiting, key)
		s.queue.AddAfter(key, time.Until(at))
	}
}

func (s *Scheduler) forgetWaiting(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.waiting, key)
	delete(s.attempts, key)
}

// scheduleOne runs one scheduling cycle for a pod.
func (s *Scheduler) scheduleOne(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := s.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		s.forgetWaiting(key)
		return nil
	}
	if err != nil {
		return err
	}
	if !s.responsibleFor(pod) || s.cache.isAssumed(pod.UID) {
		return nil
	}
	info := newPodInfo(pod)
	b, message := s.place(info)
	if b.node == "" {
		if b.preempt != nil {
			s.preempt(ctx, pod, b.preempt)
		}
		s.unschedulable(ctx, pod, message)
		return nil
	}
	s.forgetWaiting(key)
	b.key = key
	s.bindings <- b
	return nil
}

// place picks the node for the pod and assumes it there, or says why no
// node fits.
func (s *Scheduler) place(info *podInfo) (binding, string) {
	var b binding
	var message string
	s.cache.withNodes(func(nodes []*nodeInfo) { b, message = s.choose(info, nodes) })
	if b.node != "" {
		s.cache.assume(info, b.node)
	}
	return b, message
}

// choose runs one cycle's filtering and scoring over nodes.
func (s *Scheduler) choose(info *podInfo, nodes []*nodeInfo) (binding, string) {
	pod := info.pod
	if len(nodes) == 0 {
		return binding{}, "no nodes available to schedule pods"
	}
	pc := &podContext{info: info, nodeAffinity: nodeaffinity.GetRequiredNodeAffinity(pod)}
	if problem := s.volumeConstraints(pc); problem != "" {
		// Every node fails the same way, which no eviction cures.
		failed := map[*nodeInfo][]string{}
		for _, n := range nodes {
			failed[n] = []string{problem}
		}
		_, why := s.findPreemption(pc, nodes, failed)
		return binding{}, fmt.Sprintf("0/%d nodes are available: %s. preemption: %s", len(nodes), problem, why)
	}
	pc.nominated = s.reservedFor(pod.UID, priorityOf(pod))
	pc.affinity = newAffinityState(pod, nodes, s.namespaces)
	pc.spread = newSpreadState(pc, nodes)

	want := s.feasibleNodesToFind(len(nodes))
	var feasible []*nodeInfo
	reasons := map[string]int{}
	failed := map[*nodeInfo][]string{}
	checked := 0
	start := s.nextStart % len(nodes)
	for i := range nodes {
		n := nodes[(start+i)%len(nodes)]
		checked++
		if n.node == nil {
			continue // removed since the list was built
		}
		if why := s.filter(pc, n); why != nil {
			for _, r := range why {
				reasons[r]++
			}
			failed[n] = why
			continue
		}
		feasible = append(feasible, n)
		if len(feasible) >= want {
			break
		}
	}
	// The next cycle starts where this one stopped, so that all nodes get
	// their turn when only some are looked at.
	s.nextStart = (start + checked) % len(nodes)
	if len(feasible) == 0 {
		message := fitError(len(nodes), reasons)
		plan, why := s.findPreemption(pc, nodes, failed)
		if plan == nil {
			message += " preemption: " + why
		}
		return binding{preempt: plan}, message
	}
	scores := s.scoreNodes(pc, feasible)
	best, ties := 0, 1
	for i := 1; i < len(feasible); i++ {
		switch {
		case scores[i] > scores[best]:
			best, ties = i, 1
		case scores[i] == scores[best]:
			// Reservoir sampling: each of the tied nodes equally likely.
			ties++
			if rand.IntN(ties) == 0 {
				best = i
			}
		}
	}
	chosen := feasible[best].node
	volumes, _ := pc.planVolumes(chosen)
	return binding{info: info, node: chosen.Name, volumes: volumes}, ""
}

// feasibleNodesToFind is how many fitting nodes a cycle looks for:
// upstream's adaptive share of large clusters (50% less 1% per 125 nodes,
// at least 5%, at least 100 nodes), all of small ones.
func (s *Scheduler) feasibleNodesToFind(total int) int {
	const minFeasible = 100
	if total <= minFeasible {
		return total
	}
	pct := s.percentageOfNodesToScore
	if pct <= 0 {
		pct = max(50-total/125, 5)
	}
	return max(total*pct/100, minFeasible)
}

// fitError is upstream's message for a pod that fits nowhere: the reasons
// with their node counts, sorted.
func fitError(total int, reasons map[string]int) string {
	parts := make([]string, 0, len(reasons))
	for reason, count := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", count, reason))
	}
	sort.Strings(parts)
	return fmt.Sprintf("0/%d nodes are available: %s.", total, strings.Join(parts, ", "))
}

// unschedulable records why the pod fits nowhere (condition and event)
// and parks it until the cluster changes or its back-off passes.
func (s *Scheduler) unschedulable(ctx context.Context, pod *corev1.Pod, message string) {
	key := keyOf(pod)
	s.mu.Lock()
	s.attempts[key]++
	backoff := min(initialBackoff<<min(s.attempts[key]-1, 10), maxBackoff)
	s.waiting[key] = time.Now().Add(backoff)
	s.mu.Unlock()
	s.recorder.Eventf(pod, corev1.EventTypeWarning, "FailedScheduling", "%s", message)
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable && c.Message == message {
			return
		}
	}
	patch, _ := json.Marshal(map[string]interface{}{"status": map[string]interface{}{"conditions": []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: message,
		LastTransitionTime: metav1.Now()}}}})
	_, err := s.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil && !apierrors.IsNotFound(err) {
		klog.ErrorS(err, "recording PodScheduled=False", "pod", klog.KObj(pod))
	}
}

// bindLoop writes bindings. A pod whose claims wait for it has them bound
// first, on a goroutine of its own: that takes as long as provisioning.
func (s *Scheduler) bindLoop(ctx context.Context) {
	for {
		var b binding
		select {
		case <-ctx.Done():
			return
		case b = <-s.bindings:
		}
		if len(b.volumes) == 0 {
			s.bind(ctx, b)
			continue
		}
		go func() {
			pod := b.info.pod
			if err := s.bindVolumes(ctx, pod, b.node, b.volumes); err != nil {
				s.cache.forget(pod.UID)
				if !errors.Is(err, errPodGone) && ctx.Err() == nil {
					s.recorder.Eventf(pod, corev1.EventTypeWarning, "FailedScheduling", "running PreBind plugin %q: %v", "VolumeBinding", err)
					s.queue.AddRateLimited(b.key)
				}
				return
			}
			s.bind(ctx, b)
		}()
	}
}

// bind writes the pod's binding; a failed one forgets the assumption and
// puts the pod back in the queue.
func (s *Scheduler) bind(ctx context.Context, b binding) {
	pod := b.info.pod
	err := s.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: b.node},
	}, metav1.CreateOptions{})
	if err != nil {
		s.cache.forget(pod.UID)
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return // deleted, or bound by someone else meanwhile
		}
		s.recorder.Eventf(pod, corev1.EventTypeWarning, "FailedScheduling", "Binding rejected: %v", err)
		s.queue.AddRateLimited(b.key)
		return
	}
	s.recorder.Eventf(pod, corev1.EventTypeNormal, "Scheduled", "Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, b.node)
}
