// Package endpointslices turns the endpoints a Service should have into the
// EndpointSlice writes that get it there, as upstream's slice reconciler
// does: endpoints grouped by address type and port set, at most
// MaxPerSlice a slice, and as few slices touched as the change allows —
// an endpoint stays in the slice it is in, new ones fill slices that are
// being written anyway before any untouched one, and only then new slices
// are made.
package endpointslices

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Group is endpoints of one address type that share one set of ports.
type Group struct {
	AddressType discoveryv1.AddressType
	Ports       []discoveryv1.EndpointPort
	Endpoints   []discoveryv1.Endpoint
}

// Meta is what every slice of the Service carries.
type Meta struct {
	// GenerateName prefixes new slices' names.
	GenerateName string
	Labels       map[string]string
	Owner        metav1.OwnerReference
	// TriggerTime is written, as the last-change-trigger-time annotation,
	// on the slices a change creates or updates.
	TriggerTime string
}

// Plan is the writes that bring the existing slices to the desired groups.
type Plan struct {
	Create, Update, Delete []*discoveryv1.EndpointSlice
}

// Empty says there is nothing to write.
func (p Plan) Empty() bool { return len(p.Create)+len(p.Update)+len(p.Delete) == 0 }

// Reconcile plans the writes. With no endpoints at all, one empty slice
// stays (upstream's placeholder), so that a Service always has a slice.
func Reconcile(meta Meta, existing []*discoveryv1.EndpointSlice, groups []Group, maxPerSlice int, placeholderType discoveryv1.AddressType) Plan {
	existing = append([]*discoveryv1.EndpointSlice(nil), existing...)
	sort.Slice(existing, func(i, j int) bool { return existing[i].Name < existing[j].Name })
	var plan Plan
	changed := map[*discoveryv1.EndpointSlice]bool{}
	var kept []*discoveryv1.EndpointSlice

	byKey := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		k := key(s.AddressType, s.Ports)
		byKey[k] = append(byKey[k], s)
	}
	wanted := map[string]bool{}
	total := 0
	for _, g := range groups {
		total += len(g.Endpoints)
		k := key(g.AddressType, g.Ports)
		wanted[k] = true
		slices := byKey[k]
		desired := map[string]discoveryv1.Endpoint{}
		for _, ep := range g.Endpoints {
			desired[address(ep)] = ep
		}
		placed := map[string]bool{}
		var open []*discoveryv1.EndpointSlice
		for _, old := range slices {
			s := old.DeepCopy()
			s.Endpoints = s.Endpoints[:0]
			for _, ep := range old.Endpoints {
				a := address(ep)
				if d, ok := desired[a]; ok && !placed[a] {
					s.Endpoints = append(s.Endpoints, d)
					placed[a] = true
				}
			}
			if !apiequality.Semantic.DeepEqual(emptyAsNil(s.Endpoints), emptyAsNil(old.Endpoints)) {
				changed[s] = true
			}
			open = append(open, s)
		}
		var remaining []discoveryv1.Endpoint
		for _, ep := range g.Endpoints {
			if !placed[address(ep)] {
				remaining = append(remaining, ep)
			}
		}
		// Fill slices that are written anyway, then untouched ones.
		sort.SliceStable(open, func(i, j int) bool { return changed[open[i]] && !changed[open[j]] })
		for _, s := range open {
			room := maxPerSlice - len(s.Endpoints)
			if room > 0 && len(remaining) > 0 {
				n := min(room, len(remaining))
				s.Endpoints = append(s.Endpoints, remaining[:n]...)
				remaining = remaining[n:]
				changed[s] = true
			}
		}
		for _, s := range open {
			if len(s.Endpoints) == 0 {
				plan.Delete = append(plan.Delete, s)
				continue
			}
			kept = append(kept, s)
		}
		for len(remaining) > 0 {
			n := min(maxPerSlice, len(remaining))
			plan.Create = append(plan.Create, &discoveryv1.EndpointSlice{
				AddressType: g.AddressType, Ports: g.Ports, Endpoints: append([]discoveryv1.Endpoint(nil), remaining[:n]...),
			})
			remaining = remaining[n:]
		}
	}
	for k, slices := range byKey {
		if !wanted[k] {
			plan.Delete = append(plan.Delete, slices...)
		}
	}

	// No endpoints anywhere: one empty slice remains, reusing one if any.
	if total == 0 {
		var placeholder *discoveryv1.EndpointSlice
		for _, s := range plan.Delete {
			if placeholder == nil || s.Name < placeholder.Name {
				placeholder = s
			}
		}
		if placeholder == nil {
			plan.Create = append(plan.Create, &discoveryv1.EndpointSlice{AddressType: placeholderType, Ports: []discoveryv1.EndpointPort{}, Endpoints: []discoveryv1.Endpoint{}})
		} else {
			plan.Delete = remove(plan.Delete, placeholder)
			p := placeholder.DeepCopy()
			if len(p.Endpoints) > 0 || len(p.Ports) > 0 || p.AddressType != placeholderType {
				p.AddressType, p.Ports, p.Endpoints = placeholderType, []discoveryv1.EndpointPort{}, []discoveryv1.Endpoint{}
				changed[p] = true
			}
			kept = append(kept, p)
		}
	}

	for _, s := range kept {
		if applyMeta(s, meta) || changed[s] {
			setTrigger(s, meta.TriggerTime)
			plan.Update = append(plan.Update, s)
		}
	}
	for _, s := range plan.Create {
		s.GenerateName = meta.GenerateName
		applyMeta(s, meta)
		setTrigger(s, meta.TriggerTime)
	}
	sort.Slice(plan.Delete, func(i, j int) bool { return plan.Delete[i].Name < plan.Delete[j].Name })
	return plan
}

// applyMeta sets the labels and the owner, reporting whether it changed
// anything.
func applyMeta(s *discoveryv1.EndpointSlice, meta Meta) bool {
	changed := false
	if !maps.Equal(s.Labels, meta.Labels) {
		s.Labels = maps.Clone(meta.Labels)
		changed = true
	}
	owners := []metav1.OwnerReference{meta.Owner}
	if !apiequality.Semantic.DeepEqual(s.OwnerReferences, owners) {
		s.OwnerReferences = owners
		changed = true
	}
	return changed
}

func setTrigger(s *discoveryv1.EndpointSlice, t string) {
	if t == "" {
		return
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations["endpoints.kubernetes.io/last-change-trigger-time"] = t
}

func remove(list []*discoveryv1.EndpointSlice, s *discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func emptyAsNil(eps []discoveryv1.Endpoint) []discoveryv1.Endpoint {
	if len(eps) == 0 {
		return nil
	}
	return eps
}

// key identifies a group: the address type and the port set.
func key(t discoveryv1.AddressType, ports []discoveryv1.EndpointPort) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		name, proto, appProto, port := "", "", "", int32(0)
		if p.Name != nil {
			name = *p.Name
		}
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		if p.AppProtocol != nil {
			appProto = *p.AppProtocol
		}
		if p.Port != nil {
			port = *p.Port
		}
		parts = append(parts, fmt.Sprintf("%s/%s/%s/%d", name, proto, appProto, port))
	}
	sort.Strings(parts)
	return string(t) + "|" + strings.Join(parts, ",")
}

func address(ep discoveryv1.Endpoint) string {
	if len(ep.Addresses) == 0 {
		return ""
	}
	return ep.Addresses[0]
}

// SortPorts orders ports by name, the order slices are written in.
func SortPorts(ports []discoveryv1.EndpointPort) {
	sort.Slice(ports, func(i, j int) bool {
		a, b := "", ""
		if ports[i].Name != nil {
			a = *ports[i].Name
		}
		if ports[j].Name != nil {
			b = *ports[j].Name
		}
		return a < b
	})
}
