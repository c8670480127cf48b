package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// Preemption, as upstream's DefaultPreemption plugin: a pod that fits
// nowhere may have pods of lower priority evicted from one node to make
// room. On each node where only resources or host ports are short (other
// reasons eviction cannot cure), all lower-priority pods are taken away in
// thought; if the pod then fits, they are given back one by one, most
// important first and those a PodDisruptionBudget protects before the
// others, as long as the pod still fits. The node whose victims violate the
// fewest budgets wins, then the one with the lowest highest victim
// priority, the smallest priority sum, the fewest victims, the latest
// started victims. The pod is nominated to the node (status
// nominatedNodeName), its victims get a DisruptionTarget condition and are
// deleted, and it is scheduled again once they are gone; meanwhile the room
// stays reserved against pods of lower priority.
//
// Not done: making room that inter-pod anti-affinity or topology spreading
// would need (such nodes count as offering no victims).

const (
	reasonNoVictims     = "No preemption victims found for incoming pod"
	reasonNotHelpful    = "Preemption is not helpful for scheduling"
	notEligibleNever    = "not eligible due to preemptionPolicy=Never."
	notEligibleTerminal = "not eligible due to a terminating pod on the nominated node."
)

// preemption is what making room for a pod takes.
type preemption struct {
	node    string
	victims []*corev1.Pod
}

// candidate is a node where evicting victims makes room.
type candidate struct {
	node      *nodeInfo
	victims   []*podInfo
	violating int
}

func priorityOf(pod *corev1.Pod) int32 { return ptr.Deref(pod.Spec.Priority, 0) }

// findPreemption looks for the node to make room on, given why each node
// failed. It returns the plan, or why there is none (upstream's words, the
// part after "preemption: ").
func (s *Scheduler) findPreemption(pc *podContext, nodes []*nodeInfo, failed map[*nodeInfo][]string) (*preemption, string) {
	pod := pc.info.pod
	if ptr.Deref(pod.Spec.PreemptionPolicy, corev1.PreemptLowerPriority) == corev1.PreemptNever {
		return nil, notEligibleNever
	}
	if nominated := pod.Status.NominatedNodeName; nominated != "" {
		for _, n := range nodes {
			if n.node != nil && n.node.Name == nominated && terminatingLowerPriority(n, priorityOf(pod)) {
				return nil, notEligibleTerminal
			}
		}
	}
	budgets := s.budgets()
	var candidates []candidate
	reasons := map[string]int{}
	for n, why := range failed {
		switch evictionHelps(why) {
		case cannotHelp:
			reasons[reasonNotHelpful]++
			continue
		case notSimulated:
			reasons[reasonNoVictims]++
			continue
		}
		// More than the node has at all: no eviction is enough.
		if len(insufficient(pc.info.requests, &nodeInfo{allocatable: n.allocatable}, resources{})) > 0 {
			reasons[reasonNotHelpful]++
			continue
		}
		c, ok := s.selectVictims(pc, n, budgets)
		if !ok {
			reasons[reasonNoVictims]++
			continue
		}
		candidates = append(candidates, c)
	}
	if len(candidates) == 0 {
		parts := make([]string, 0, len(reasons))
		for reason, count := range reasons {
			parts = append(parts, fmt.Sprintf("%d %s", count, reason))
		}
		sort.Strings(parts)
		return nil, fmt.Sprintf("0/%d nodes are available: %s.", len(nodes), strings.Join(parts, ", "))
	}
	best := pickCandidate(candidates)
	plan := &preemption{node: best.node.node.Name}
	for _, v := range best.victims {
		plan.victims = append(plan.victims, v.pod)
	}
	return plan, ""
}

// What evicting pods could do for a node that failed.
type evictionEffect int

const (
	// cannotHelp: some reason has nothing to do with the pods there
	// (taints, selectors, cordons, volumes), as upstream's
	// UnschedulableAndUnresolvable.
	cannotHelp evictionEffect = iota
	// notSimulated: fewer pods might help (anti-affinity, spreading), but
	// that is not tried here.
	notSimulated
	// simulated: only resources or host ports are short.
	simulated
)

func evictionHelps(reasons []string) evictionEffect {
	effect := simulated
	for _, r := range reasons {
		switch {
		case r == reasonTooManyPods || r == reasonPorts || strings.HasPrefix(r, "Insufficient "):
		case r == reasonPodAntiAffinity || r == reasonExistingAntiAffin || r == reasonSpread:
			effect = notSimulated
		default:
			return cannotHelp
		}
	}
	return effect
}

func terminatingLowerPriority(n *nodeInfo, priority int32) bool {
	for _, p := range n.pods {
		if p.pod.DeletionTimestamp != nil && priorityOf(p.pod) < priority {
			return true
		}
	}
	return false
}

// selectVictims finds the fewest lower-priority pods on n whose eviction
// lets the pod fit, sparing first the most important and those a budget
// protects.
func (s *Scheduler) selectVictims(pc *podContext, n *nodeInfo, budgets []*policyv1.PodDisruptionBudget) (candidate, bool) {
	priority := priorityOf(pc.info.pod)
	var lower []*podInfo
	remaining := map[types.UID]*podInfo{}
	requested := n.requested
	requested.scalar = copyScalar(n.requested.scalar)
	for uid, p := range n.pods {
		if priorityOf(p.pod) < priority {
			lower = append(lower, p)
			requested.add(p.requests, -1)
		} else {
			remaining[uid] = p
		}
	}
	if len(lower) == 0 {
		return candidate{}, false
	}
	fits := func() bool {
		trial := &nodeInfo{node: n.node, allocatable: n.allocatable, requested: requested, pods: remaining}
		return len(insufficient(pc.info.requests, trial, pc.nominated[n.node.Name])) == 0 && !conflictingPorts(pc.info.ports, trial)
	}
	if !fits() {
		return candidate{}, false
	}
	sort.Slice(lower, func(i, j int) bool { return moreImportant(lower[i].pod, lower[j].pod) })
	violating, sparing := splitByBudgets(lower, budgets)
	c := candidate{node: n}
	reprieve := func(p *podInfo) bool {
		requested.add(p.requests, 1)
		remaining[p.pod.UID] = p
		if fits() {
			return true
		}
		requested.add(p.requests, -1)
		delete(remaining, p.pod.UID)
		c.victims = append(c.victims, p)
		return false
	}
	for _, p := range violating {
		if !reprieve(p) {
			c.violating++
		}
	}
	for _, p := range sparing {
		reprieve(p)
	}
	return c, len(c.victims) > 0
}

func copyScalar(m map[corev1.ResourceName]int64) map[corev1.ResourceName]int64 {
	if m == nil {
		return nil
	}
	out := make(map[corev1.ResourceName]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// moreImportant: higher priority first, then the one running longer.
func moreImportant(a, b *corev1.Pod) bool {
	if pa, pb := priorityOf(a), priorityOf(b); pa != pb {
		return pa > pb
	}
	return startTime(a).Time.Before(startTime(b).Time)
}

func startTime(p *corev1.Pod) metav1.Time {
	if p.Status.StartTime != nil {
		return *p.Status.StartTime
	}
	return p.CreationTimestamp
}

// splitByBudgets separates the pods whose eviction a budget forbids (it
// allows no more disruptions, counting those already chosen) from the rest.
func splitByBudgets(pods []*podInfo, budgets []*policyv1.PodDisruptionBudget) (violating, sparing []*podInfo) {
	allowed := make([]int32, len(budgets))
	for i, b := range budgets {
		allowed[i] = b.Status.DisruptionsAllowed
	}
	for _, p := range pods {
		violates := false
		for i, b := range budgets {
			if b.Namespace != p.pod.Namespace {
				continue
			}
			selector, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
			if err != nil || selector.Empty() || !selector.Matches(labels.Set(p.pod.Labels)) {
				continue
			}
			allowed[i]--
			if allowed[i] < 0 {
				violates = true
			}
		}
		if violates {
			violating = append(violating, p)
		} else {
			sparing = append(sparing, p)
		}
	}
	return violating, sparing
}

// pickCandidate is upstream's order of preference between nodes.
func pickCandidate(candidates []candidate) candidate {
	sort.SliceStable(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if a.violating != b.violating {
			return a.violating < b.violating
		}
		if ha, hb := highestPriority(a), highestPriority(b); ha != hb {
			return ha < hb
		}
		if sa, sb := prioritySum(a), prioritySum(b); sa != sb {
			return sa < sb
		}
		if len(a.victims) != len(b.victims) {
			return len(a.victims) < len(b.victims)
		}
		// The latest start among the most important victims: evict what
		// has run the shortest.
		ta, tb := latestStart(a), latestStart(b)
		if !ta.Equal(&tb) {
			return tb.Before(&ta)
		}
		return a.node.node.Name < b.node.node.Name
	})
	return candidates[0]
}

func highestPriority(c candidate) int32 {
	highest := int32(math.MinInt32)
	for _, v := range c.victims {
		highest = max(highest, priorityOf(v.pod))
	}
	return highest
}

// prioritySum offsets each priority so that negative ones still add up.
func prioritySum(c candidate) int64 {
	var sum int64
	for _, v := range c.victims {
		sum += int64(priorityOf(v.pod)) + int64(math.MaxInt32) + 1
	}
	return sum
}

func latestStart(c candidate) metav1.Time {
	highest := highestPriority(c)
	var latest metav1.Time
	for _, v := range c.victims {
		if priorityOf(v.pod) == highest {
			if t := startTime(v.pod); latest.IsZero() || latest.Before(&t) {
				latest = t
			}
		}
	}
	return latest
}

// budgets are the PodDisruptionBudgets the victims are weighed against.
func (s *Scheduler) budgets() []*policyv1.PodDisruptionBudget {
	if s.disruptionBudgets == nil {
		return nil
	}
	list, err := s.disruptionBudgets.List(labels.Everything())
	if err != nil {
		return nil
	}
	return list
}

// preempt carries the plan out: the pod nominated to the node, each victim
// marked a disruption target and deleted, with upstream's event.
func (s *Scheduler) preempt(ctx context.Context, pod *corev1.Pod, plan *preemption) {
	patch, _ := json.Marshal(map[string]interface{}{"status": map[string]interface{}{"nominatedNodeName": plan.node}})
	if _, err := s.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		if !apierrors.IsNotFound(err) {
			klog.ErrorS(err, "nominating a node", "pod", klog.KObj(pod), "node", plan.node)
		}
		return
	}
	s.nominate(pod.UID, plan.node, newPodInfo(pod).requests, priorityOf(pod))
	for _, victim := range plan.victims {
		condition := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: corev1.PodReasonPreemptionByScheduler,
			Message: fmt.Sprintf("%s: preempting to accommodate a higher priority pod", s.name), LastTransitionTime: metav1.Now()}
		patch, _ := json.Marshal(map[string]interface{}{"status": map[string]interface{}{"conditions": []corev1.PodCondition{condition}}})
		_, err := s.client.CoreV1().Pods(victim.Namespace).Patch(ctx, victim.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
		if err == nil {
			err = s.client.CoreV1().Pods(victim.Namespace).Delete(ctx, victim.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &victim.UID}})
		}
		if err != nil {
			if !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				klog.ErrorS(err, "preempting", "victim", klog.KObj(victim), "preemptor", klog.KObj(pod))
			}
			continue
		}
		s.recorder.Eventf(victim, corev1.EventTypeNormal, "Preempted", "Preempted by pod %s on node %s", pod.UID, plan.node)
	}
}

// nomination is a pod nominated to a node by a preemption, whose room is
// kept from pods of lower priority until it is bound.
type nomination struct {
	node     string
	requests resources
	priority int32
}

func (s *Scheduler) nominate(uid types.UID, node string, requests resources, priority int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nominated[uid] = nomination{node: node, requests: requests, priority: priority}
}

func (s *Scheduler) unnominate(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nominated, uid)
}

// trackNomination follows a pod's nominatedNodeName while it waits, also
// one a previous scheduler wrote.
func (s *Scheduler) trackNomination(pod *corev1.Pod) {
	if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil || pod.Status.NominatedNodeName == "" {
		s.unnominate(pod.UID)
		return
	}
	s.nominate(pod.UID, pod.Status.NominatedNodeName, newPodInfo(pod).requests, priorityOf(pod))
}

// reservedFor sums, per node, what pods nominated there of at least the
// given priority need (other than the pod itself).
func (s *Scheduler) reservedFor(uid types.UID, priority int32) map[string]resources {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.nominated) == 0 {
		return nil
	}
	reserved := map[string]resources{}
	for other, n := range s.nominated {
		if other == uid || n.priority < priority {
			continue
		}
		r := reserved[n.node]
		r.add(n.requests, 1)
		reserved[n.node] = r
	}
	return reserved
}
