package conntrack

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kybernetes/kybernetes/proxy/state"
)

func snapshot(nodePort int32, endpoints ...string) *state.Snapshot {
	name := state.ServicePortName{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "dns"}, Port: "dns", Protocol: corev1.ProtocolUDP}
	snap := &state.Snapshot{
		Ports:     []*state.ServicePort{{Name: name, ClusterIP: "10.96.0.10", Port: 53, NodePort: nodePort}},
		Endpoints: map[state.ServicePortName][]state.Endpoint{},
	}
	for _, ip := range endpoints {
		snap.Endpoints[name] = append(snap.Endpoints[name], state.Endpoint{IP: ip, Port: 5353, Ready: true, Serving: true})
	}
	return snap
}

func TestStaleFlows(t *testing.T) {
	if got := StaleFlows(nil, snapshot(0, "10.0.0.1")); got != nil {
		t.Errorf("first sync: %+v", got)
	}
	// An endpoint leaves: flows DNATed to it, for each service address.
	got := StaleFlows(snapshot(30053, "10.0.0.1", "10.0.0.2"), snapshot(30053, "10.0.0.1"))
	want := []Flow{{Address: "10.96.0.10", Port: 53, Endpoint: "10.0.0.2"}, {Address: "", Port: 30053, Endpoint: "10.0.0.2"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("endpoint removed: %+v, want %+v", got, want)
	}
	// From none to some: every flow to the service (cached rejects).
	got = StaleFlows(snapshot(0), snapshot(0, "10.0.0.1"))
	if len(got) != 1 || got[0] != (Flow{Address: "10.96.0.10", Port: 53}) {
		t.Errorf("first endpoint: %+v", got)
	}
	// A new service with endpoints: the same.
	if got := StaleFlows(&state.Snapshot{}, snapshot(0, "10.0.0.1")); len(got) != 1 || got[0].Endpoint != "" {
		t.Errorf("new service: %+v", got)
	}
	// Nothing changed: nothing.
	if got := StaleFlows(snapshot(0, "10.0.0.1"), snapshot(0, "10.0.0.1")); len(got) != 0 {
		t.Errorf("no change: %+v", got)
	}
	// The service is gone: its endpoints' flows.
	if got := StaleFlows(snapshot(0, "10.0.0.1"), &state.Snapshot{}); len(got) != 1 || got[0].Endpoint != "10.0.0.1" {
		t.Errorf("service removed: %+v", got)
	}
}
