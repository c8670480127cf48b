package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// topologyPair is one topology domain: a node label and its value (a
// hostname, a zone).
type topologyPair struct{ key, value string }

// term is a pod (anti-)affinity term made ready to match pods.
type term struct {
	selector    labels.Selector
	namespaces  sets.Set[string] // nil with allNamespaces or a namespace selector
	nsSelector  labels.Selector  // nil unless the term has one
	topologyKey string
	weight      int64
}

func (t *term) matches(pod *corev1.Pod, namespaceLabels func(string) labels.Set) bool {
	switch {
	case t.nsSelector != nil:
		if !t.nsSelector.Matches(namespaceLabels(pod.Namespace)) && !t.namespaces.Has(pod.Namespace) {
			return false
		}
	case !t.namespaces.Has(pod.Namespace):
		return false
	}
	return t.selector.Matches(labels.Set(pod.Labels))
}

func newTerm(owner *corev1.Pod, t corev1.PodAffinityTerm, weight int64) (term, bool) {
	selector, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
	if err != nil || t.LabelSelector == nil {
		selector = labels.Nothing()
	}
	out := term{selector: selector, topologyKey: t.TopologyKey, weight: weight, namespaces: sets.New(t.Namespaces...)}
	if t.NamespaceSelector != nil {
		ns, err := metav1.LabelSelectorAsSelector(t.NamespaceSelector)
		if err != nil {
			return out, false
		}
		out.nsSelector = ns
	} else if len(t.Namespaces) == 0 {
		out.namespaces = sets.New(owner.Namespace)
	}
	return out, true
}

func requiredTerms(pod *corev1.Pod, anti bool) []term {
	a := pod.Spec.Affinity
	var raw []corev1.PodAffinityTerm
	switch {
	case a == nil:
	case anti && a.PodAntiAffinity != nil:
		raw = a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	case !anti && a.PodAffinity != nil:
		raw = a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	var terms []term
	for _, r := range raw {
		if t, ok := newTerm(pod, r, 1); ok {
			terms = append(terms, t)
		}
	}
	return terms
}

// preferredTerms: affinity terms with their weights, anti-affinity ones
// with negative weights.
func preferredTerms(pod *corev1.Pod) []term {
	a := pod.Spec.Affinity
	if a == nil {
		return nil
	}
	var terms []term
	if a.PodAffinity != nil {
		for _, w := range a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if t, ok := newTerm(pod, w.PodAffinityTerm, int64(w.Weight)); ok {
				terms = append(terms, t)
			}
		}
	}
	if a.PodAntiAffinity != nil {
		for _, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if t, ok := newTerm(pod, w.PodAffinityTerm, -int64(w.Weight)); ok {
				terms = append(terms, t)
			}
		}
	}
	return terms
}

// affinityState is the inter-pod affinity of one pod against the pods in
// the cluster, counted once per scheduling cycle by topology domain.
type affinityState struct {
	affinity, antiAffinity []term
	// affinityCounts[i] counts, per domain, the pods matching affinity
	// term i; antiCounts the pods matching any anti-affinity term.
	affinityCounts []map[topologyPair]int
	antiCounts     map[topologyPair]int
	// existingAnti are the domains where some pod's required
	// anti-affinity forbids the incoming pod.
	existingAnti map[topologyPair]int
	// selfMatch: the pod matches all its own affinity terms, so the first
	// pod of a group may go anywhere no pod matches yet.
	selfMatch, anyMatch bool
	// preferred holds the weight of each domain for the pod's preferred
	// (anti-)affinity.
	preferred map[topologyPair]int64
}

func (a *affinityState) empty() bool {
	return a == nil || len(a.affinity) == 0 && len(a.antiAffinity) == 0 && len(a.existingAnti) == 0
}

// newAffinityState counts what the pod's terms need. It walks the cluster's
// pods only when the pod has terms or some pod has required anti-affinity.
func newAffinityState(pod *corev1.Pod, nodes []*nodeInfo, namespaces corelisters.NamespaceLister) *affinityState {
	s := &affinityState{affinity: requiredTerms(pod, false), antiAffinity: requiredTerms(pod, true)}
	preferred := preferredTerms(pod)
	existing := false
	for _, n := range nodes {
		existing = existing || n.antiAffinityPods > 0
	}
	if len(s.affinity) == 0 && len(s.antiAffinity) == 0 && len(preferred) == 0 && !existing {
		return s
	}
	nsLabels := func(name string) labels.Set {
		if namespaces == nil {
			return nil
		}
		ns, err := namespaces.Get(name)
		if err != nil {
			return nil
		}
		return ns.Labels
	}
	s.affinityCounts = make([]map[topologyPair]int, len(s.affinity))
	for i := range s.affinityCounts {
		s.affinityCounts[i] = map[topologyPair]int{}
	}
	s.antiCounts, s.existingAnti, s.preferred = map[topologyPair]int{}, map[topologyPair]int{}, map[topologyPair]int64{}
	s.selfMatch = len(s.affinity) > 0
	for _, t := range s.affinity {
		s.selfMatch = s.selfMatch && t.matches(pod, nsLabels)
	}
	for _, n := range nodes {
		if n.node == nil {
			continue
		}
		nodeLabels := n.node.Labels
		for _, p := range n.pods {
			other := p.pod
			if other.UID == pod.UID {
				continue
			}
			all := len(s.affinity) > 0
			for i, t := range s.affinity {
				if t.matches(other, nsLabels) {
					if v, ok := nodeLabels[t.topologyKey]; ok {
						s.affinityCounts[i][topologyPair{t.topologyKey, v}]++
					}
				} else {
					all = false
				}
			}
			s.anyMatch = s.anyMatch || all
			for _, t := range s.antiAffinity {
				if v, ok := nodeLabels[t.topologyKey]; ok && t.matches(other, nsLabels) {
					s.antiCounts[topologyPair{t.topologyKey, v}]++
				}
			}
			for _, t := range preferred {
				if v, ok := nodeLabels[t.topologyKey]; ok && t.matches(other, nsLabels) {
					s.preferred[topologyPair{t.topologyKey, v}] += t.weight
				}
			}
			if hasRequiredAntiAffinity(other) {
				for _, t := range requiredTerms(other, true) {
					if v, ok := nodeLabels[t.topologyKey]; ok && t.matches(pod, nsLabels) {
						s.existingAnti[topologyPair{t.topologyKey, v}]++
					}
				}
			}
		}
	}
	return s
}

// filter says why the node breaks the required terms ("" if it does not):
// the pod's affinity, the pod's anti-affinity, an existing pod's
// anti-affinity, in upstream's order.
func (s *affinityState) filter(n *nodeInfo) string {
	if s.empty() {
		return ""
	}
	nodeLabels := n.node.Labels
	if len(s.affinity) > 0 {
		// The first pod of a group that matches its own terms may start
		// it anywhere the topology keys exist.
		firstOfGroup := !s.anyMatch && s.selfMatch
		for i, t := range s.affinity {
			v, ok := nodeLabels[t.topologyKey]
			if !ok || (!firstOfGroup && s.affinityCounts[i][topologyPair{t.topologyKey, v}] == 0) {
				return reasonPodAffinity
			}
		}
	}
	for _, t := range s.antiAffinity {
		if v, ok := nodeLabels[t.topologyKey]; ok && s.antiCounts[topologyPair{t.topologyKey, v}] > 0 {
			return reasonPodAntiAffinity
		}
	}
	for pair := range s.existingAnti {
		if v, ok := nodeLabels[pair.key]; ok && v == pair.value {
			return reasonExistingAntiAffin
		}
	}
	return ""
}

// score is the node's weight from the pod's preferred (anti-)affinity.
func (s *affinityState) score(n *nodeInfo) int64 {
	if len(s.preferred) == 0 {
		return 0
	}
	var total int64
	for pair, w := range s.preferred {
		if v, ok := n.node.Labels[pair.key]; ok && v == pair.value {
			total += w
		}
	}
	return total
}
