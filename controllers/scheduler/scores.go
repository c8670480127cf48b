package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	schedulinghelpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// The score plugins' weights, upstream's defaults.
const (
	weightLeastAllocated   = 1
	weightBalanced         = 1
	weightInterPodAffinity = 2
	weightNodeAffinity     = 2
	weightSpread           = 2
	weightTaintToleration  = 3
	maxNodeScore           = 100
)

// ZoneLabel is the node label for spreading across zones.
const ZoneLabel = "topology.kubernetes.io/zone"

// scorer holds what one pod's scoring needs across the feasible nodes.
type scorer struct {
	preferred *nodeaffinity.PreferredSchedulingTerms
	// spread: pods of the same Service/RC/RS per node and per zone.
	spreadSelector   labels.Selector
	spreadNode       map[string]int
	spreadZone       map[string]int
	maxNode, maxZone int
}

// scoreNodes gives each feasible node its weighted score, each plugin's
// raw score normalized to 0..100 across the nodes as upstream does.
func (s *Scheduler) scoreNodes(pc *podContext, feasible []*nodeInfo) []int64 {
	sc := &scorer{}
	if a := pc.info.pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		sc.preferred, _ = nodeaffinity.NewPreferredSchedulingTerms(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	// A pod with spread constraints of its own is spread by them; the
	// Service/RC/RS spreading is the default for pods without (as
	// upstream's default constraints are).
	if len(pc.info.pod.Spec.TopologySpreadConstraints) == 0 {
		sc.spreadSelector = s.spreadSelector(pc.info.pod)
	}
	if sc.spreadSelector != nil {
		sc.countSpread(pc.info.pod, feasible)
	}
	n := len(feasible)
	total := make([]int64, n)
	raw := make([]int64, n)
	add := func(weight int64, reverse bool, value func(*nodeInfo) int64) {
		lo, hi := int64(0), int64(0)
		for i, node := range feasible {
			raw[i] = value(node)
			if i == 0 || raw[i] < lo {
				lo = raw[i]
			}
			if i == 0 || raw[i] > hi {
				hi = raw[i]
			}
		}
		for i := range feasible {
			var norm int64
			switch {
			case hi == lo && reverse:
				norm = maxNodeScore
			case hi == lo:
				norm = 0
				if hi > 0 {
					norm = maxNodeScore
				}
			case reverse:
				norm = maxNodeScore * (hi - raw[i]) / (hi - lo)
			default:
				norm = maxNodeScore * (raw[i] - lo) / (hi - lo)
			}
			total[i] += weight * norm
		}
	}
	req := pc.info.nonZero
	// Least allocated and balanced allocation are already 0..100.
	for i, node := range feasible {
		cpu := fraction(node.nonZero.milliCPU+req.milliCPU, node.allocatable.milliCPU)
		mem := fraction(node.nonZero.memory+req.memory, node.allocatable.memory)
		total[i] += weightLeastAllocated * int64((2-cpu-mem)*maxNodeScore/2)
		diff := cpu - mem
		if diff < 0 {
			diff = -diff
		}
		total[i] += weightBalanced * int64((1-diff/2)*maxNodeScore)
	}
	if sc.preferred != nil {
		add(weightNodeAffinity, false, func(n *nodeInfo) int64 { return sc.preferred.Score(n.node) })
	}
	if pc.affinity != nil && len(pc.affinity.preferred) > 0 {
		add(weightInterPodAffinity, false, pc.affinity.score)
	}
	add(weightTaintToleration, true, func(n *nodeInfo) int64 { return untoleratedPreferNoSchedule(pc.info.pod, n.node) })
	if pc.spread.hasSoft() {
		add(weightSpread, true, pc.spread.score)
	}
	if sc.spreadSelector != nil {
		for i, node := range feasible {
			total[i] += weightSpread * sc.spreadScore(node)
		}
	}
	return total
}

// fraction is used/allocatable, capped at 1.
func fraction(used, allocatable int64) float64 {
	if allocatable <= 0 {
		return 1
	}
	f := float64(used) / float64(allocatable)
	if f > 1 {
		return 1
	}
	return f
}

func untoleratedPreferNoSchedule(pod *corev1.Pod, node *corev1.Node) int64 {
	var count int64
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if t.Effect != corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !schedulinghelpers.TolerationsTolerateTaint(klog.Background(), pod.Spec.Tolerations, t, false) {
			count++
		}
	}
	return count
}

// spreadSelector matches the pods the pod should be spread from: those of
// the Services that select it and of the ReplicaSet or
// ReplicationController that owns it, all of them (nil when there are
// none).
func (s *Scheduler) spreadSelector(pod *corev1.Pod) labels.Selector {
	var requirements []labels.Requirement
	addSet := func(set map[string]string) {
		selector := labels.SelectorFromSet(set)
		reqs, _ := selector.Requirements()
		requirements = append(requirements, reqs...)
	}
	if s.services != nil {
		if services, err := s.services.Services(pod.Namespace).List(labels.Everything()); err == nil {
			for _, svc := range services {
				if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
					addSet(svc.Spec.Selector)
				}
			}
		}
	}
	for _, ref := range pod.OwnerReferences {
		if ref.Controller == nil || !*ref.Controller {
			continue
		}
		switch {
		case ref.Kind == "ReplicaSet" && s.replicaSets != nil:
			if rs, err := s.replicaSets.ReplicaSets(pod.Namespace).Get(ref.Name); err == nil && rs.Spec.Selector != nil {
				addSet(rs.Spec.Selector.MatchLabels)
			}
		case ref.Kind == "ReplicationController" && s.controllers != nil:
			if rc, err := s.controllers.ReplicationControllers(pod.Namespace).Get(ref.Name); err == nil {
				addSet(rc.Spec.Selector)
			}
		}
	}
	if len(requirements) == 0 {
		return nil
	}
	return labels.NewSelector().Add(requirements...)
}

// countSpread counts the matching pods of the namespace on each feasible
// node and in each zone.
func (sc *scorer) countSpread(pod *corev1.Pod, feasible []*nodeInfo) {
	sc.spreadNode, sc.spreadZone = map[string]int{}, map[string]int{}
	for _, n := range feasible {
		count := 0
		for _, p := range n.pods {
			if p.pod.Namespace == pod.Namespace && p.pod.UID != pod.UID && sc.spreadSelector.Matches(labels.Set(p.pod.Labels)) {
				count++
			}
		}
		sc.spreadNode[n.node.Name] = count
		sc.maxNode = max(sc.maxNode, count)
		if zone := n.node.Labels[ZoneLabel]; zone != "" {
			sc.spreadZone[zone] += count
		}
	}
	for _, c := range sc.spreadZone {
		sc.maxZone = max(sc.maxZone, c)
	}
}

// spreadScore favours nodes, and zones (two thirds of the weight when
// nodes have zones), with fewer pods of the same group.
func (sc *scorer) spreadScore(n *nodeInfo) int64 {
	maxNode, maxZone := sc.maxNode, sc.maxZone
	score := int64(maxNodeScore)
	if maxNode > 0 {
		score = int64(maxNodeScore * (maxNode - sc.spreadNode[n.node.Name]) / maxNode)
	}
	zone := n.node.Labels[ZoneLabel]
	if len(sc.spreadZone) == 0 || zone == "" {
		return score
	}
	zoneScore := int64(maxNodeScore)
	if maxZone > 0 {
		zoneScore = int64(maxNodeScore * (maxZone - sc.spreadZone[zone]) / maxZone)
	}
	return (score + 2*zoneScore) / 3
}
