package scheduler

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

const (
	reasonSpread             = "node(s) didn't match pod topology spread constraints"
	reasonSpreadMissingLabel = reasonSpread + " (missing required label)"
)

// spreadConstraint is one of the pod's topologySpreadConstraints, with the
// matching pods counted per domain over the nodes it applies to.
type spreadConstraint struct {
	key       string
	maxSkew   int32
	hard      bool // DoNotSchedule
	selector  labels.Selector
	selfMatch int
	counts    map[string]int
	minMatch  int
}

// spreadState holds the pod's topology spread constraints for one cycle.
type spreadState struct {
	constraints []*spreadConstraint
}

// newSpreadState counts, for each constraint, the pods its selector
// matches in the pod's namespace per domain, over the nodes that have the
// topology key and fit the pod's node selector and affinity (upstream's
// default nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore).
func newSpreadState(pc *podContext, nodes []*nodeInfo) *spreadState {
	pod := pc.info.pod
	if len(pod.Spec.TopologySpreadConstraints) == 0 {
		return nil
	}
	s := &spreadState{}
	for _, c := range pod.Spec.TopologySpreadConstraints {
		selector, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			continue
		}
		// matchLabelKeys narrow the selector to the pod's own values.
		for _, key := range c.MatchLabelKeys {
			if v, ok := pod.Labels[key]; ok {
				if r, err := labels.NewRequirement(key, selection.Equals, []string{v}); err == nil {
					selector = selector.Add(*r)
				}
			}
		}
		sc := &spreadConstraint{key: c.TopologyKey, maxSkew: c.MaxSkew, hard: c.WhenUnsatisfiable == corev1.DoNotSchedule,
			selector: selector, counts: map[string]int{}}
		if selector.Matches(labels.Set(pod.Labels)) {
			sc.selfMatch = 1
		}
		s.constraints = append(s.constraints, sc)
	}
	for _, n := range nodes {
		if n.node == nil {
			continue
		}
		if ok, err := pc.nodeAffinity.Match(n.node); err != nil || !ok {
			continue
		}
		for _, sc := range s.constraints {
			value, ok := n.node.Labels[sc.key]
			if !ok {
				continue
			}
			count := sc.counts[value] // the domain exists even with no pods
			for _, p := range n.pods {
				if p.pod.Namespace == pod.Namespace && p.pod.DeletionTimestamp == nil && p.pod.UID != pod.UID &&
					sc.selector.Matches(labels.Set(p.pod.Labels)) {
					count++
				}
			}
			sc.counts[value] = count
		}
	}
	for i, sc := range s.constraints {
		sc.minMatch = math.MaxInt
		for _, count := range sc.counts {
			sc.minMatch = min(sc.minMatch, count)
		}
		if sc.minMatch == math.MaxInt {
			sc.minMatch = 0
		}
		// Fewer domains than minDomains: the global minimum counts as 0.
		if minDomains := pod.Spec.TopologySpreadConstraints[i].MinDomains; minDomains != nil && len(sc.counts) < int(*minDomains) {
			sc.minMatch = 0
		}
	}
	return s
}

// filter checks the DoNotSchedule constraints: the node must have every
// topology key, and placing the pod there must keep each skew within
// maxSkew.
func (s *spreadState) filter(n *nodeInfo) string {
	if s == nil {
		return ""
	}
	for _, sc := range s.constraints {
		if !sc.hard {
			continue
		}
		value, ok := n.node.Labels[sc.key]
		if !ok {
			return reasonSpreadMissingLabel
		}
		if sc.counts[value]+sc.selfMatch-sc.minMatch > int(sc.maxSkew) {
			return reasonSpread
		}
	}
	return ""
}

// score is what the ScheduleAnyway constraints hold against the node: the
// matching pods in its domains, each constraint weighted by the log of its
// number of domains as upstream does (lower is better).
func (s *spreadState) score(n *nodeInfo) int64 {
	if s == nil {
		return 0
	}
	var total float64
	for _, sc := range s.constraints {
		if sc.hard {
			continue
		}
		if value, ok := n.node.Labels[sc.key]; ok {
			total += float64(sc.counts[value]) * math.Log(float64(len(sc.counts)+2))
		}
	}
	return int64(math.Round(total * 100))
}

// hasSoft: the pod has ScheduleAnyway constraints to score.
func (s *spreadState) hasSoft() bool {
	if s == nil {
		return false
	}
	for _, sc := range s.constraints {
		if !sc.hard {
			return true
		}
	}
	return false
}
