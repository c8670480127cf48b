package iptables

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	for _, cfg := range []Config{
		{MasqueradeBit: 14, ClusterCIDR: "10.244.0.0/16", RandomFully: true},
		{MasqueradeBit: 3, MasqueradeAll: true, NodePortAddresses: []string{"10.0.0.0/8"}},
	} {
		tables := Render(cfg, goldenState(), nil, nil)
		cmd := exec.Command("ip", "netns", "exec", ns.Name, DetectCommand()+"-restore", "--test", "--noflush")
		cmd.Stdin = strings.NewReader(string(tables.Data))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("iptables-restore --test refused the rules: %v: %s\n%s", err, out, tables.Data)
		}
	}
}
