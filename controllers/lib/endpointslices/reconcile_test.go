package endpointslices

import (
	"fmt"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var (
	httpPorts = []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}}
	meta      = Meta{GenerateName: "web-", Labels: map[string]string{discoveryv1.LabelServiceName: "web"},
		Owner: metav1.OwnerReference{APIVersion: "v1", Kind: "Service", Name: "web", UID: "u1"}}
)

func eps(from, to int) []discoveryv1.Endpoint {
	var out []discoveryv1.Endpoint
	for i := from; i < to; i++ {
		out = append(out, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)}})
	}
	return out
}

// apply plays a plan onto the existing slices, naming created ones.
func apply(existing []*discoveryv1.EndpointSlice, p Plan) []*discoveryv1.EndpointSlice {
	byName := map[string]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		byName[s.Name] = s
	}
	for _, s := range p.Delete {
		delete(byName, s.Name)
	}
	for _, s := range p.Update {
		byName[s.Name] = s
	}
	for i, s := range p.Create {
		s.Name = fmt.Sprintf("%s%d-%d", s.GenerateName, len(existing), i)
		byName[s.Name] = s
	}
	var out []*discoveryv1.EndpointSlice
	for _, s := range byName {
		out = append(out, s)
	}
	return out
}

func count(slices []*discoveryv1.EndpointSlice) int {
	n := 0
	for _, s := range slices {
		n += len(s.Endpoints)
	}
	return n
}

func TestReconcileSplitsAtMaxPerSlice(t *testing.T) {
	p := Reconcile(meta, nil, []Group{{AddressType: discoveryv1.AddressTypeIPv4, Ports: httpPorts, Endpoints: eps(0, 250)}}, 100, discoveryv1.AddressTypeIPv4)
	if len(p.Create) != 3 || len(p.Create[0].Endpoints) != 100 || len(p.Create[2].Endpoints) != 50 {
		t.Fatalf("250 endpoints at 100 a slice: %d slices", len(p.Create))
	}
	if p.Create[0].GenerateName != "web-" || p.Create[0].Labels[discoveryv1.LabelServiceName] != "web" || p.Create[0].OwnerReferences[0].UID != "u1" {
		t.Errorf("new slice metadata: %+v", p.Create[0].ObjectMeta)
	}
}

func TestReconcileTouchesOnlyWhatChanged(t *testing.T) {
	group := func(e []discoveryv1.Endpoint) []Group {
		return []Group{{AddressType: discoveryv1.AddressTypeIPv4, Ports: httpPorts, Endpoints: e}}
	}
	slices := apply(nil, Reconcile(meta, nil, group(eps(0, 250)), 100, discoveryv1.AddressTypeIPv4))

	// Nothing changed: nothing written.
	if p := Reconcile(meta, slices, group(eps(0, 250)), 100, discoveryv1.AddressTypeIPv4); !p.Empty() {
		t.Fatalf("an unchanged service plans writes: %d create, %d update, %d delete", len(p.Create), len(p.Update), len(p.Delete))
	}
	// One endpoint gone and one new: one slice updated (the new endpoint
	// goes where the old one left), none created.
	next := append(eps(1, 250), eps(300, 301)...)
	p := Reconcile(meta, slices, group(next), 100, discoveryv1.AddressTypeIPv4)
	if len(p.Update) != 1 || len(p.Create) != 0 || len(p.Delete) != 0 {
		t.Fatalf("one swap: %d create, %d update, %d delete", len(p.Create), len(p.Update), len(p.Delete))
	}
	if p.Update[0].Annotations != nil {
		t.Errorf("no trigger time given, yet one was written")
	}
	slices = apply(slices, p)
	if count(slices) != 250 {
		t.Fatalf("%d endpoints after the swap", count(slices))
	}
	// A slice edited by someone else is put back.
	slices[0].Endpoints = slices[0].Endpoints[:1]
	p = Reconcile(meta, slices, group(next), 100, discoveryv1.AddressTypeIPv4)
	slices = apply(slices, p)
	if count(slices) != 250 {
		t.Fatalf("%d endpoints after repairing an edited slice", count(slices))
	}
	// Everything gone: one empty placeholder remains.
	p = Reconcile(meta, slices, nil, 100, discoveryv1.AddressTypeIPv4)
	slices = apply(slices, p)
	if len(slices) != 1 || len(slices[0].Endpoints) != 0 {
		t.Fatalf("without endpoints: %d slices, %d endpoints; want one empty slice", len(slices), count(slices))
	}
}

func TestReconcileSeparatesPortSets(t *testing.T) {
	other := []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](9090)}}
	p := Reconcile(meta, nil, []Group{
		{AddressType: discoveryv1.AddressTypeIPv4, Ports: httpPorts, Endpoints: eps(0, 2)},
		{AddressType: discoveryv1.AddressTypeIPv4, Ports: other, Endpoints: eps(2, 3)},
		{AddressType: discoveryv1.AddressTypeIPv6, Ports: httpPorts, Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"fd00::1"}}}},
	}, 100, discoveryv1.AddressTypeIPv4)
	if len(p.Create) != 3 {
		t.Fatalf("three groups gave %d slices", len(p.Create))
	}
}
