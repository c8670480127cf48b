// Package tainteviction evicts pods from nodes with NoExecute taints, as
// upstream's taint eviction controller: a pod that does not tolerate every
// NoExecute taint of its node is deleted at once; one that tolerates them
// for a while (tolerationSeconds, 300 s for not-ready and unreachable by
// DefaultTolerationSeconds admission) is deleted when the shortest of those
// times has passed since the taint was added; one that tolerates them for
// ever stays.
package tainteviction

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
	"github.com/kybernetes/kybernetes/controllers/nodelifecycle"
)

// Controller is the taint eviction controller; its queue holds pod keys.
type Controller struct {
	client   kubernetes.Interface
	pods     corelisters.PodLister
	podIndex cache.Indexer
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	clock    clock.Clock
	recorder *events.Recorder
}

// New returns a controller fed by the pod and node informers.
func New(client kubernetes.Interface, pods coreinformers.PodInformer, nodes coreinformers.NodeInformer, clk clock.Clock) (*Controller, error) {
	if err := nodelifecycle.AddPodsByNodeIndex(pods); err != nil {
		return nil, err
	}
	c := &Controller{
		client:   client,
		pods:     pods.Lister(),
		podIndex: pods.Informer().GetIndexer(),
		nodes:    nodes.Lister(),
		synced:   []cache.InformerSynced{pods.Informer().HasSynced, nodes.Informer().HasSynced},
		queue:    runner.NewQueue("taint-eviction"),
		clock:    clk,
		recorder: events.NewRecorder(client, "taint-eviction-controller"),
	}
	enqueuePod := func(obj interface{}) {
		if pod, ok := obj.(*corev1.Pod); ok && pod.Spec.NodeName != "" && pod.DeletionTimestamp == nil {
			c.queue.Add(pod.Namespace + "/" + pod.Name)
		}
	}
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueuePod, UpdateFunc: func(_, obj interface{}) { enqueuePod(obj) },
	})
	enqueueNodePods := func(obj interface{}) {
		node, ok := obj.(*corev1.Node)
		if !ok {
			return
		}
		objs, _ := c.podIndex.ByIndex(nodelifecycle.PodsByNode, node.Name)
		for _, obj := range objs {
			enqueuePod(obj)
		}
	}
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueNodePods,
		UpdateFunc: func(old, obj interface{}) {
			if !sameNoExecute(old.(*corev1.Node).Spec.Taints, obj.(*corev1.Node).Spec.Taints) {
				enqueueNodePods(obj)
			}
		},
	})
	return c, nil
}

func sameNoExecute(a, b []corev1.Taint) bool {
	a, b = noExecute(a), noExecute(b)
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

func noExecute(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}

// Run processes pods with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "taint-eviction", c.queue, c.synced, workers, c.sync)
}

// sync evicts the pod if its time on a tainted node is up, or asks to be
// woken when it will be.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	pod, err := c.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pod.Spec.NodeName == "" || pod.DeletionTimestamp != nil {
		return 0, nil
	}
	node, err := c.nodes.Get(pod.Spec.NodeName)
	if apierrors.IsNotFound(err) {
		return 0, nil // the pod garbage collector handles pods of deleted nodes
	}
	if err != nil {
		return 0, err
	}
	now := c.clock.Now()
	wait, evict := evictionDelay(noExecute(node.Spec.Taints), pod.Spec.Tolerations, now)
	if !evict {
		return 0, nil
	}
	if wait > 0 {
		return wait, nil
	}
	c.recorder.Eventf(pod, corev1.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s/%s", pod.Namespace, pod.Name)
	err = c.client.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return 0, nil
	}
	return 0, err
}

// evictionDelay says whether a pod with these tolerations is to be
// evicted from a node with these NoExecute taints, and how long from now:
// at once if some taint is not tolerated, else when the shortest toleration
// time runs out, counted from when its taint was added.
func evictionDelay(taints []corev1.Taint, tolerations []corev1.Toleration, now time.Time) (time.Duration, bool) {
	var due time.Time
	evict := false
	for i := range taints {
		taint := &taints[i]
		added := now
		if taint.TimeAdded != nil {
			added = taint.TimeAdded.Time
		}
		tolerated := false
		for _, t := range tolerations {
			if !t.ToleratesTaint(klog.Background(), taint, false) {
				continue
			}
			tolerated = true
			if t.TolerationSeconds == nil {
				continue // tolerated for ever
			}
			at := added.Add(time.Duration(max(*t.TolerationSeconds, 0)) * time.Second)
			if !evict || at.Before(due) {
				due, evict = at, true
			}
		}
		if !tolerated {
			return 0, true
		}
	}
	if !evict {
		return 0, false
	}
	return max(due.Sub(now), 0), true
}
