// Package nodelifecycle watches node heartbeats, as upstream's node
// lifecycle controller: a node whose kubelet stops renewing its Lease in
// kube-node-lease (and stops updating its Ready condition) for the grace
// period has its conditions set to Unknown; the node's conditions and
// cordon become taints (NoSchedule, and NoExecute for not-ready and
// unreachable nodes, which the taint eviction controller acts on); pods on
// a node that is not ready are marked not ready, so that endpoints drop
// them.
package nodelifecycle

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coordinationinformers "k8s.io/client-go/informers/coordination/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
)

// NodeLeaseNamespace holds the kubelets' heartbeat Leases, one per node.
const NodeLeaseNamespace = "kube-node-lease"

// Options are upstream's node lifecycle flags.
type Options struct {
	// MonitorPeriod is how often node health is checked.
	MonitorPeriod time.Duration
	// GracePeriod is how long a node may go without a heartbeat before
	// it is considered unreachable.
	GracePeriod time.Duration
	// StartupGracePeriod is how long a new node may take to post its
	// first status.
	StartupGracePeriod time.Duration
}

// DefaultOptions are the defaults of kube-controller-manager.
func DefaultOptions() Options {
	return Options{MonitorPeriod: 5 * time.Second, GracePeriod: 40 * time.Second, StartupGracePeriod: time.Minute}
}

// Controller is the node lifecycle controller.
type Controller struct {
	client   kubernetes.Interface
	nodes    corelisters.NodeLister
	leases   coordinationlisters.LeaseLister
	pods     cache.Indexer
	synced   []cache.InformerSynced
	opts     Options
	clock    clock.Clock
	recorder *events.Recorder

	// kick asks for a check before the next period: a node's Ready
	// condition changed, and its taints should follow at once (a node that
	// just became Ready should not keep pods off for a whole period).
	kick chan struct{}

	mu sync.Mutex
	// health is what the controller last saw of each node's heartbeats,
	// with the time (on its own clock) it last saw them change.
	health map[string]*heartbeat
}

type heartbeat struct {
	readyHeartbeat metav1.Time // the Ready condition's lastHeartbeatTime
	leaseRenew     metav1.MicroTime
	observed       time.Time
}

// PodsByNode indexes pods by spec.nodeName.
const PodsByNode = "nodeName"

// AddPodsByNodeIndex adds the index the node controllers share; call it
// before the informer starts.
func AddPodsByNodeIndex(pods coreinformers.PodInformer) error {
	if _, exists := pods.Informer().GetIndexer().GetIndexers()[PodsByNode]; exists {
		return nil
	}
	return pods.Informer().AddIndexers(cache.Indexers{PodsByNode: func(obj interface{}) ([]string, error) {
		pod, ok := obj.(*corev1.Pod)
		if !ok || pod.Spec.NodeName == "" {
			return nil, nil
		}
		return []string{pod.Spec.NodeName}, nil
	}})
}

// New returns a controller fed by the node, lease and pod informers.
func New(client kubernetes.Interface, nodes coreinformers.NodeInformer, leases coordinationinformers.LeaseInformer,
	pods coreinformers.PodInformer, opts Options, clk clock.Clock) (*Controller, error) {
	if err := AddPodsByNodeIndex(pods); err != nil {
		return nil, err
	}
	c := &Controller{
		kick:     make(chan struct{}, 1),
		client:   client,
		nodes:    nodes.Lister(),
		leases:   leases.Lister(),
		pods:     pods.Informer().GetIndexer(),
		synced:   []cache.InformerSynced{nodes.Informer().HasSynced, leases.Informer().HasSynced, pods.Informer().HasSynced},
		opts:     opts,
		clock:    clk,
		recorder: events.NewRecorder(client, "node-controller"),
		health:   map[string]*heartbeat{},
	}
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(old, obj interface{}) {
			if readyStatus(old.(*corev1.Node)) != readyStatus(obj.(*corev1.Node)) {
				select {
				case c.kick <- struct{}{}:
				default:
				}
			}
		},
	})
	return c, nil
}

// Run checks every node each MonitorPeriod, and when a node's Ready
// condition changes, until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	c.recorder.Start(ctx)
	if !cache.WaitForNamedCacheSync("node-lifecycle", ctx.Done(), c.synced...) {
		return
	}
	ticker := time.NewTicker(c.opts.MonitorPeriod)
	defer ticker.Stop()
	for {
		if err := c.monitor(ctx); err != nil {
			utilruntime.HandleError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-c.kick:
		}
	}
}

func (c *Controller) monitor(ctx context.Context) error {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var firstErr error
	for _, node := range nodes {
		seen[node.Name] = true
		if err := c.check(ctx, node.DeepCopy()); err != nil && !apierrors.IsNotFound(err) && firstErr == nil {
			firstErr = err
		}
	}
	c.mu.Lock()
	for name := range c.health {
		if !seen[name] {
			delete(c.health, name)
		}
	}
	c.mu.Unlock()
	return firstErr
}

// check brings one node's conditions, taints and pods in line with its
// heartbeats.
func (c *Controller) check(ctx context.Context, node *corev1.Node) error {
	if c.silentTooLong(node) {
		if changed := markUnknown(node, metav1.NewTime(c.clock.Now())); changed {
			updated, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			node = updated
			c.recorder.Eventf(node, corev1.EventTypeNormal, "NodeNotReady", "Node %s status is now: NodeNotReady", node.Name)
		}
	}
	if taints, changed := reconcileTaints(node.Spec.Taints, desiredTaints(node), metav1.NewTime(c.clock.Now())); changed {
		node.Spec.Taints = taints
		updated, err := c.client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		node = updated
	}
	if status := readyStatus(node); status == corev1.ConditionFalse || status == corev1.ConditionUnknown {
		return c.markPodsNotReady(ctx, node.Name)
	}
	return nil
}

// silentTooLong reports whether the node's heartbeats (its Lease renewals
// and Ready condition updates) stopped for longer than the grace period.
// Time is measured on the controller's clock from when it last saw a
// heartbeat change, as upstream does, so that clock skew between nodes and
// the controller does not matter.
func (c *Controller) silentTooLong(node *corev1.Node) bool {
	var ready metav1.Time
	hasReady := false
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			ready, hasReady = cond.LastHeartbeatTime, true
		}
	}
	var renew metav1.MicroTime
	if lease, err := c.leases.Leases(NodeLeaseNamespace).Get(node.Name); err == nil && lease.Spec.RenewTime != nil {
		renew = *lease.Spec.RenewTime
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	h, known := c.health[node.Name]
	if !known {
		h = &heartbeat{readyHeartbeat: ready, leaseRenew: renew, observed: now}
		c.health[node.Name] = h
	}
	if !ready.Equal(&h.readyHeartbeat) || !renew.Equal(&h.leaseRenew) {
		h.readyHeartbeat, h.leaseRenew, h.observed = ready, renew, now
	}
	grace := c.opts.GracePeriod
	if !hasReady {
		grace = c.opts.StartupGracePeriod
	}
	return now.Sub(h.observed) > grace
}

// markUnknown sets the kubelet's conditions to Unknown, as upstream: a
// node that never posted status gets Ready=Unknown "NodeStatusNeverUpdated".
func markUnknown(node *corev1.Node, now metav1.Time) bool {
	changed := false
	hasReady := false
	for i := range node.Status.Conditions {
		cond := &node.Status.Conditions[i]
		switch cond.Type {
		case corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure:
		default:
			continue
		}
		hasReady = hasReady || cond.Type == corev1.NodeReady
		if cond.Status == corev1.ConditionUnknown {
			continue
		}
		cond.Status, cond.Reason, cond.Message = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
		cond.LastTransitionTime = now
		changed = true
	}
	if !hasReady {
		node.Status.Conditions = append(node.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionUnknown,
			Reason: "NodeStatusNeverUpdated", Message: "Kubelet never posted node status.", LastHeartbeatTime: node.CreationTimestamp, LastTransitionTime: now})
		changed = true
	}
	return changed
}

// markPodsNotReady sets Ready=False on the pods of a node that is not ready:
// their kubelet cannot, and endpoints must stop sending them traffic.
func (c *Controller) markPodsNotReady(ctx context.Context, nodeName string) error {
	objs, err := c.pods.ByIndex(PodsByNode, nodeName)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		pod := obj.(*corev1.Pod)
		for i, cond := range pod.Status.Conditions {
			if cond.Type != corev1.PodReady || cond.Status != corev1.ConditionTrue {
				continue
			}
			updated := pod.DeepCopy()
			updated.Status.Conditions[i].Status = corev1.ConditionFalse
			updated.Status.Conditions[i].LastTransitionTime = metav1.NewTime(c.clock.Now())
			if _, err := c.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
			c.recorder.Eventf(pod, corev1.EventTypeWarning, "NodeNotReady", "Node is not ready")
		}
	}
	return nil
}
