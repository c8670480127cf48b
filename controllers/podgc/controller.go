// Package podgc removes pods nobody else will, as upstream's pod garbage
// collector: terminated pods beyond --terminated-pod-gc-threshold (oldest
// first), pods bound to nodes that no longer exist, and pods being deleted
// that were never scheduled (no kubelet will ever confirm their end).
package podgc

import (
	"context"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// Controller is the pod garbage collector.
type Controller struct {
	client    kubernetes.Interface
	pods      corelisters.PodLister
	nodes     corelisters.NodeLister
	synced    []cache.InformerSynced
	threshold int
	period    time.Duration
}

// New returns a collector that keeps at most threshold terminated pods
// (0: no limit) and looks every period (upstream: 20 s).
func New(client kubernetes.Interface, pods coreinformers.PodInformer, nodes coreinformers.NodeInformer, threshold int, period time.Duration) *Controller {
	return &Controller{
		client: client, pods: pods.Lister(), nodes: nodes.Lister(),
		synced:    []cache.InformerSynced{pods.Informer().HasSynced, nodes.Informer().HasSynced},
		threshold: threshold, period: period,
	}
}

// Run collects every period until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	if !cache.WaitForNamedCacheSync("podgc", ctx.Done(), c.synced...) {
		return
	}
	wait.UntilWithContext(ctx, c.collect, c.period)
}

func (c *Controller) collect(ctx context.Context) {
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	var terminated []*corev1.Pod
	gone := map[string]bool{} // per pass: one lookup per node, not per pod
	for _, pod := range pods {
		switch {
		case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
			terminated = append(terminated, pod)
		case pod.DeletionTimestamp != nil && pod.Spec.NodeName == "":
			c.forceDelete(ctx, pod, "unscheduled and terminating")
			continue
		}
		if pod.Spec.NodeName == "" {
			continue
		}
		isGone, known := gone[pod.Spec.NodeName]
		if !known {
			isGone = c.nodeGone(ctx, pod.Spec.NodeName)
			gone[pod.Spec.NodeName] = isGone
		}
		if isGone {
			c.forceDelete(ctx, pod, "bound to a node that no longer exists")
		}
	}
	if c.threshold <= 0 || len(terminated) <= c.threshold {
		return
	}
	sort.Slice(terminated, func(i, j int) bool {
		return terminated[i].CreationTimestamp.Before(&terminated[j].CreationTimestamp)
	})
	for _, pod := range terminated[:len(terminated)-c.threshold] {
		c.forceDelete(ctx, pod, "terminated, beyond the threshold")
	}
}

// nodeGone checks the API server, not only the cache, before a pod is
// taken for an orphan: a node just created may not be in the cache yet.
func (c *Controller) nodeGone(ctx context.Context, name string) bool {
	if _, err := c.nodes.Get(name); err == nil {
		return false
	}
	_, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	return apierrors.IsNotFound(err)
}

func (c *Controller) forceDelete(ctx context.Context, pod *corev1.Pod, why string) {
	klog.InfoS("pod garbage collection", "pod", klog.KObj(pod), "reason", why)
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		utilruntime.HandleError(err)
	}
}
