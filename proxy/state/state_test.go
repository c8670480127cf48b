package state

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func svc(name, clusterIP string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec: corev1.ServiceSpec{ClusterIP: clusterIP, ClusterIPs: []string{clusterIP}, Type: corev1.ServiceTypeClusterIP, Ports: ports}}
}

func endpoint(ip, node string, ready, serving, terminating bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: ptr.To(node),
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready), Serving: ptr.To(serving), Terminating: ptr.To(terminating)}}
}

func epSlice(service, name string, family discoveryv1.AddressType, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: family,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
		Endpoints:   eps,
	}
}

var http80 = corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}

func TestBuildReadsServicesAndSlices(t *testing.T) {
	external := svc("ext", "10.96.0.3", http80)
	external.Spec.Type = corev1.ServiceTypeExternalName
	services := []*corev1.Service{
		svc("web", "10.96.0.1", http80, corev1.ServicePort{Name: "icmp", Port: 1, Protocol: "ICMP"}),
		svc("v6", "fd00::1", http80),
		external,
	}
	slices := []*discoveryv1.EndpointSlice{
		epSlice("web", "web-1", discoveryv1.AddressTypeIPv4, endpoint("10.0.0.2", "n1", true, true, false), endpoint("10.0.0.3", "n2", false, false, false)),
		// The same address in a second slice is one endpoint; its ready copy wins.
		epSlice("web", "web-2", discoveryv1.AddressTypeIPv4, endpoint("10.0.0.3", "n2", true, true, false)),
		epSlice("web", "web-v6", discoveryv1.AddressTypeIPv6, endpoint("fd00::2", "n1", true, true, false)),
		epSlice("gone", "gone-1", discoveryv1.AddressTypeIPv4, endpoint("10.0.0.9", "n1", true, true, false)),
	}
	snap := Build(corev1.IPv4Protocol, "n1", services, slices)
	if len(snap.Ports) != 1 || snap.Ports[0].Name.String() != "ns/web:http" {
		t.Fatalf("ports: %+v (want only ns/web:http: no IPv6 or ExternalName service, no ICMP port)", snap.Ports)
	}
	if len(snap.Skipped) != 1 || snap.Skipped[0].Kind != "Service" {
		t.Errorf("skipped: %+v, want the ICMP port", snap.Skipped)
	}
	eps := snap.Endpoints[snap.Ports[0].Name]
	if len(eps) != 2 || eps[0].IP != "10.0.0.2" || !eps[0].Local || eps[1].IP != "10.0.0.3" || !eps[1].Ready || eps[1].Local {
		t.Errorf("endpoints: %+v", eps)
	}
	if len(snap.Endpoints) != 1 {
		t.Errorf("endpoints of services that do not exist were kept: %+v", snap.Endpoints)
	}
}

func TestUsableEndpointsFallsBackToTerminating(t *testing.T) {
	eps := []Endpoint{
		{IP: "10.0.0.1", Ready: false, Serving: true, Terminating: true, Local: true},
		{IP: "10.0.0.2", Ready: false, Serving: false, Terminating: true},
		{IP: "10.0.0.3", Ready: true, Serving: true},
	}
	if got := UsableEndpoints(eps, false); len(got) != 1 || got[0].IP != "10.0.0.3" {
		t.Errorf("with a ready endpoint: %+v", got)
	}
	// Locally there is no ready endpoint: the serving terminating one is used.
	if got := UsableEndpoints(eps, true); len(got) != 1 || got[0].IP != "10.0.0.1" {
		t.Errorf("local: %+v", got)
	}
	if got := UsableEndpoints(eps[1:2], false); len(got) != 0 {
		t.Errorf("a terminating endpoint that is not serving is used: %+v", got)
	}
}

func TestServicePortPolicies(t *testing.T) {
	s := svc("lb", "10.96.0.5", corev1.ServicePort{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP})
	s.Spec.Type = corev1.ServiceTypeLoadBalancer
	s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	s.Spec.HealthCheckNodePort = 32000
	s.Spec.LoadBalancerSourceRanges = []string{" 192.0.2.0/24 ", "2001:db8::/32"}
	s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "198.51.100.1"}, {IP: "198.51.100.2", IPMode: ptr.To(corev1.LoadBalancerIPModeProxy)}}
	snap := Build(corev1.IPv4Protocol, "n1", []*corev1.Service{s}, nil)
	sp := snap.Ports[0]
	if sp.NodePort != 30080 || !sp.ExternalLocal || sp.HealthCheckNodePort != 32000 || sp.AffinitySeconds != 10800 {
		t.Errorf("port: %+v", sp)
	}
	if len(sp.LoadBalancerIPs) != 1 || sp.LoadBalancerIPs[0] != "198.51.100.1" {
		t.Errorf("load balancer IPs %v: a Proxy-mode ingress must not be short-circuited", sp.LoadBalancerIPs)
	}
	if len(sp.LoadBalancerSourceRanges) != 1 || sp.LoadBalancerSourceRanges[0] != "192.0.2.0/24" {
		t.Errorf("source ranges %v", sp.LoadBalancerSourceRanges)
	}
}
