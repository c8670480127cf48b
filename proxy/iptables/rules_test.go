package iptables

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/proxy/state"
	"github.com/kybernetes/kybernetes/test/netns"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func service(name string, mutate func(*corev1.Service)) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: name},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if mutate != nil {
		mutate(svc)
	}
	return svc
}

type ep struct {
	ip, node           string
	ready, terminating bool
}

func slice(svc, name, port string, portNumber int32, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "ns1", Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(port), Port: ptr.To(portNumber), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{e.ip}, NodeName: ptr.To(e.node),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready), Serving: ptr.To(e.ready || e.terminating), Terminating: ptr.To(e.terminating)},
		})
	}
	return s
}

// goldenState covers each kind of entry: a cluster IP balanced over three
// endpoints, a node port with an external IP, ClientIP affinity, a service
// with no endpoints, Local policies with and without local endpoints, a
// load balancer with source ranges, and a rollout down to terminating pods.
func goldenState() *state.Snapshot {
	services := []*corev1.Service{
		service("web", nil),
		service("np", func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.11", nil
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 30080
			s.Spec.ExternalIPs = []string{"192.0.2.10"}
		}),
		service("sticky", func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.12", nil
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}}
		}),
		service("empty", func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.13", nil
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 30013
		}),
		service("local", func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.14", nil
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.Ports[0].NodePort = 30014
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			s.Spec.HealthCheckNodePort = 32014
			s.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24"}
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "198.51.100.14"}}
		}),
		service("internal", func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.15", nil
			s.Spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyLocal)
		}),
		service("draining", func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.16", nil
		}),
		service("dns", func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.17", nil
			s.Spec.Ports = []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}, {Name: "weird", Port: 54, Protocol: "ICMP"}}
		}),
	}
	slices := []*discoveryv1.EndpointSlice{
		slice("web", "web-a", "http", 8080, ep{"10.244.0.2", "n1", true, false}, ep{"10.244.1.2", "n2", true, false}),
		slice("web", "web-b", "http", 8080, ep{"10.244.2.2", "n3", true, false}, ep{"10.244.1.2", "n2", true, false}),
		slice("np", "np-a", "http", 8080, ep{"10.244.0.3", "n1", true, false}),
		slice("sticky", "sticky-a", "http", 8080, ep{"10.244.0.4", "n1", true, false}, ep{"10.244.1.4", "n2", true, false}),
		slice("empty", "empty-a", "http", 8080, ep{"10.244.0.5", "n1", false, false}),
		slice("local", "local-a", "http", 8080, ep{"10.244.0.6", "n1", true, false}, ep{"10.244.1.6", "n2", true, false}),
		slice("internal", "internal-a", "http", 8080, ep{"10.244.1.7", "n2", true, false}),
		slice("draining", "draining-a", "http", 8080, ep{"10.244.0.8", "n1", false, true}, ep{"10.244.1.8", "n2", false, false}),
		slice("dns", "dns-a", "dns", 5353, ep{"10.244.0.9", "n1", true, false}),
	}
	slices[8].Ports[0].Protocol = ptr.To(corev1.ProtocolUDP)
	return state.Build(corev1.IPv4Protocol, "n1", services, slices)
}

func TestRenderMatchesGolden(t *testing.T) {
	cfg := Config{MasqueradeBit: 14, ClusterCIDR: "10.244.0.0/16", RandomFully: true}
	existing := []string{"KUBE-SERVICES", "KUBE-SVC-STALESTALESTALE1", "KUBE-SEP-STALESTALESTALE2", "KUBE-FIREWALL", "CNI-abc"}
	tables := Render(cfg, goldenState(), existing, nil)
	golden := filepath.Join("testdata", "rules.golden")
	if *update {
		if err := os.WriteFile(golden, tables.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(tables.Data) {
		t.Errorf("rules differ from %s (go test -run %s -update to accept):\n%s", golden, t.Name(), tables.Data)
	}
	got := string(tables.Data)
	for _, stale := range []string{"KUBE-SVC-STALESTALESTALE1", "KUBE-SEP-STALESTALESTALE2"} {
		if !strings.Contains(got, "-X "+stale+"\n") {
			t.Errorf("stale chain %s not deleted", stale)
		}
	}
	for _, foreign := range []string{"KUBE-FIREWALL", "CNI-abc"} {
		if strings.Contains(got, foreign) {
			t.Errorf("chain %s is not ours but the rules touch it", foreign)
		}
	}
}

// TestRenderIsValidRestoreInput has iptables-restore check the rules
// (--test: parsed and verified by the kernel, never committed), inside a
// network namespace of the test's own.
func TestRenderIsValidRestoreInput(t *testing.T) {
	ns := netns.New(t)
	for _, backend := range []string{"iptables-nft", "iptables-legacy"} {
		if _, err := exec.LookPath(backend + "-restore"); err != nil {
			t.Logf("%s-restore not installed: not checked", backend)
			continue
		}
		for _, cfg := range []Config{
			{MasqueradeBit: 14, ClusterCIDR: "10.244.0.0/16", RandomFully: true},
			{MasqueradeBit: 3, MasqueradeAll: true, NodePortAddresses: []string{"10.0.0.0/8"}},
		} {
			tables := Render(cfg, goldenState(), nil, nil)
			cmd := exec.Command("ip", "netns", "exec", ns.Name, backend+"-restore", "--test", "--noflush")
			cmd.Stdin = strings.NewReader(string(tables.Data))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s-restore --test refused the rules: %v: %s\n%s", backend, err, out, tables.Data)
			}
		}
	}
}

// TestRenderPartialRewritesOnlyChangedServices: a partial sync writes the
// shared chains whole but only the changed services' own chains, keeps the
// others' (not deleted as stale), and deletes the chains of a removed one.
func TestRenderPartialRewritesOnlyChangedServices(t *testing.T) {
	cfg := Config{MasqueradeBit: 14}
	snap := goldenState()
	full := Render(cfg, snap, nil, nil)
	web := types.NamespacedName{Namespace: "ns1", Name: "web"}
	partial := RenderPartial(cfg, snap, append(full.NATChains, "KUBE-SVC-GONEGONEGONEGONE"), nil, map[types.NamespacedName]bool{web: true})
	got := string(partial.Data)
	webChain := chainName("KUBE-SVC-", "ns1/web:httptcp")
	npChain := chainName("KUBE-SVC-", "ns1/np:httptcp")
	if !strings.Contains(got, ":"+webChain+" ") || !strings.Contains(got, "-A "+webChain+" ") {
		t.Errorf("the changed service's chain is not rewritten")
	}
	if strings.Contains(got, ":"+npChain+" ") || strings.Contains(got, "-A "+npChain+" ") || strings.Contains(got, "-X "+npChain) {
		t.Errorf("an unchanged service's chain is touched:\n%s", got)
	}
	if !strings.Contains(got, "-j "+npChain) {
		t.Errorf("the unchanged service's entry rule is missing from KUBE-SERVICES")
	}
	if !strings.Contains(got, "-X KUBE-SVC-GONEGONEGONEGONE") {
		t.Errorf("a removed service's chain is not deleted")
	}
	if partial.NATRules >= full.NATRules {
		t.Errorf("a partial sync wrote %d nat rules, a full one %d", partial.NATRules, full.NATRules)
	}
	if len(partial.NATChains) != len(full.NATChains) {
		t.Errorf("chains in use after a partial sync: %d, after a full one %d", len(partial.NATChains), len(full.NATChains))
	}
}

// benchState is n ClusterIP services of five endpoints each.
func benchState(n int) *state.Snapshot {
	var services []*corev1.Service
	var slices []*discoveryv1.EndpointSlice
	for i := range n {
		name := fmt.Sprintf("svc-%d", i)
		services = append(services, service(name, func(s *corev1.Service) {
			s.Spec.ClusterIP = fmt.Sprintf("10.96.%d.%d", i>>8, i&0xff)
			s.Spec.ClusterIPs = nil
		}))
		var eps []ep
		for e := range 5 {
			eps = append(eps, ep{fmt.Sprintf("10.%d.%d.%d", 128+e, i>>8, i&0xff), "n1", true, false})
		}
		slices = append(slices, slice(name, name, "http", 8080, eps...))
	}
	return state.Build(corev1.IPv4Protocol, "n1", services, slices)
}

// BenchmarkRender is rule generation alone for 1,000 services (no
// iptables-restore), full and partial (one service changed).
func BenchmarkRender(b *testing.B) {
	snap := benchState(1000)
	cfg := Config{MasqueradeBit: 14}
	chains := Render(cfg, snap, nil, nil).NATChains
	b.Run("full", func(b *testing.B) {
		for range b.N {
			Render(cfg, snap, chains, nil)
		}
	})
	changed := map[types.NamespacedName]bool{{Namespace: "ns1", Name: "svc-7"}: true}
	b.Run("partial", func(b *testing.B) {
		for range b.N {
			RenderPartial(cfg, snap, chains, nil, changed)
		}
	})
}
