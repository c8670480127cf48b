package scheduler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulinghelpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// The reasons a node does not fit, in upstream's words: they make up the
// FailedScheduling message ("0/3 nodes are available: 1 Insufficient cpu,
// 2 node(s) had untolerated taint {...}.").
const (
	reasonUnschedulable      = "node(s) were unschedulable"
	reasonNodeName           = "node(s) didn't match the requested node name"
	reasonNodeAffinity       = "node(s) didn't match Pod's node affinity/selector"
	reasonPorts              = "node(s) didn't have free ports for the requested pod ports"
	reasonTooManyPods        = "Too many pods"
	reasonPodAffinity        = "node(s) didn't match pod affinity rules"
	reasonPodAntiAffinity    = "node(s) didn't match pod anti-affinity rules"
	reasonExistingAntiAffin  = "node(s) didn't satisfy existing pods anti-affinity rules"
	reasonVolumeNodeAffinity = "node(s) didn't match PersistentVolume's node affinity"
	reasonVolumeBindConflict = "node(s) didn't find available persistent volumes to bind"
)

// podContext is what filtering and scoring one pod needs, computed once per
// scheduling cycle.
type podContext struct {
	info         *podInfo
	nodeAffinity nodeaffinity.RequiredNodeAffinity
	affinity     *affinityState
	spread       *spreadState
	// volumeNodes are the node selectors of the persistent volumes the pod's
	// claims are bound to.
	volumeNodes []*nodeaffinity.NodeSelector
	// delayed are the pod's unbound claims that wait for a node
	// (WaitForFirstConsumer), with the volumes they might take.
	delayed []delayedClaim
	volumes []*corev1.PersistentVolume
	// nominated is what pods nominated to each node (of at least this
	// pod's priority) hold there.
	nominated map[string]resources
}

// filter runs the filters in upstream's order and returns why the node
// does not fit (nil if it does). The resource filter may give several
// reasons at once.
func (s *Scheduler) filter(pc *podContext, n *nodeInfo) []string {
	pod, node := pc.info.pod, n.node
	if node.Spec.Unschedulable && !toleratesUnschedulable(pod) {
		return []string{reasonUnschedulable}
	}
	if pod.Spec.NodeName != "" && pod.Spec.NodeName != node.Name {
		return []string{reasonNodeName}
	}
	if taint, untolerated := schedulinghelpers.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints, pod.Spec.Tolerations,
		func(t *corev1.Taint) bool {
			return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
		}, false); untolerated {
		return []string{fmt.Sprintf("node(s) had untolerated taint {%s: %s}", taint.Key, taint.Value)}
	}
	if ok, err := pc.nodeAffinity.Match(node); err != nil || !ok {
		return []string{reasonNodeAffinity}
	}
	if conflictingPorts(pc.info.ports, n) {
		return []string{reasonPorts}
	}
	if reasons := insufficient(pc.info.requests, n, pc.nominated[node.Name]); len(reasons) > 0 {
		return reasons
	}
	if reason := pc.volumeFilter(node); reason != "" {
		return []string{reason}
	}
	if reason := pc.spread.filter(n); reason != "" {
		return []string{reason}
	}
	if reason := pc.affinity.filter(n); reason != "" {
		return []string{reason}
	}
	return nil
}

func toleratesUnschedulable(pod *corev1.Pod) bool {
	taint := corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
	for _, t := range pod.Spec.Tolerations {
		if t.ToleratesTaint(klog.Background(), &taint, false) {
			return true
		}
	}
	return false
}

// insufficient lists what the node lacks for the pod's requests, beyond
// what is reserved there for nominated pods.
func insufficient(req resources, n *nodeInfo, reserved resources) []string {
	var reasons []string
	alloc, used := n.allocatable, n.requested
	if reserved.pods > 0 {
		used.scalar = copyScalar(used.scalar)
		used.add(reserved, 1)
	}
	if used.pods+1 > alloc.pods {
		reasons = append(reasons, reasonTooManyPods)
	}
	if req.milliCPU > 0 && used.milliCPU+req.milliCPU > alloc.milliCPU {
		reasons = append(reasons, "Insufficient cpu")
	}
	if req.memory > 0 && used.memory+req.memory > alloc.memory {
		reasons = append(reasons, "Insufficient memory")
	}
	if req.ephemeralStorage > 0 && used.ephemeralStorage+req.ephemeralStorage > alloc.ephemeralStorage {
		reasons = append(reasons, "Insufficient ephemeral-storage")
	}
	for name, v := range req.scalar {
		if v > 0 && used.scalar[name]+v > alloc.scalar[name] {
			reasons = append(reasons, "Insufficient "+string(name))
		}
	}
	return reasons
}

// conflictingPorts: a host port the pod wants is taken on the node (the
// wildcard address 0.0.0.0 conflicts with every address).
func conflictingPorts(want []hostPort, n *nodeInfo) bool {
	if len(want) == 0 {
		return false
	}
	for _, p := range n.pods {
		for _, used := range p.ports {
			for _, w := range want {
				if w.port == used.port && w.protocol == used.protocol && (w.ip == used.ip || w.ip == "0.0.0.0" || used.ip == "0.0.0.0") {
					return true
				}
			}
		}
	}
	return false
}

// hasRequiredAntiAffinity: the pod has required anti-affinity terms, which
// every later pod must respect.
func hasRequiredAntiAffinity(pod *corev1.Pod) bool {
	a := pod.Spec.Affinity
	return a != nil && a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0
}
