// Package state is the service proxy's view of the cluster: every Service
// port it must program and the endpoints behind each, built from Services and
// EndpointSlices the way kube-proxy reads them. It knows nothing of iptables.
package state

import (
	"fmt"
	"net"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ServicePortName names one port of one Service; its String form
// ("ns/name:port", or "ns/name" for an unnamed port) is what operators read
// in rule comments.
type ServicePortName struct {
	types.NamespacedName
	Port     string
	Protocol corev1.Protocol
}

func (n ServicePortName) String() string {
	if n.Port == "" {
		return n.NamespacedName.String()
	}
	return n.NamespacedName.String() + ":" + n.Port
}

// ServicePort is what the proxy programs for one port of a Service, in one
// IP family.
type ServicePort struct {
	Name      ServicePortName
	ClusterIP string
	Port      int32
	// NodePort is 0 unless the Service is NodePort or LoadBalancer.
	NodePort                 int32
	ExternalIPs              []string
	LoadBalancerIPs          []string
	LoadBalancerSourceRanges []string
	// AffinitySeconds is the ClientIP session affinity timeout, 0 without affinity.
	AffinitySeconds int32
	// ExternalLocal and InternalLocal are the Local traffic policies.
	ExternalLocal, InternalLocal bool
	HealthCheckNodePort          int32
}

// Endpoint is one backend of a ServicePort.
type Endpoint struct {
	IP   string
	Port int32
	// Ready, Serving and Terminating are the EndpointSlice conditions, with
	// upstream's defaults for unset ones.
	Ready, Serving, Terminating bool
	// Local says the endpoint runs on this proxy's node.
	Local bool
}

// String is ip:port, the DNAT destination.
func (e Endpoint) String() string {
	return net.JoinHostPort(e.IP, fmt.Sprint(e.Port))
}

// Snapshot is everything one sync programs.
type Snapshot struct {
	// Ports are sorted by name, so a sync's output is deterministic.
	Ports     []*ServicePort
	Endpoints map[ServicePortName][]Endpoint
	// Skipped says what could not be expressed and why, for events and logs.
	Skipped []Skip
}

// Skip is a Service or slice that the proxy left out.
type Skip struct {
	Object types.NamespacedName
	Kind   string
	Reason string
}

// Family is the IP family a proxier programs.
type Family = corev1.IPFamily

// Build makes the snapshot for family from the Services and EndpointSlices
// the proxy watches; node is this proxy's node name, which decides which
// endpoints are local.
func Build(family Family, node string, services []*corev1.Service, slices []*discoveryv1.EndpointSlice) *Snapshot {
	snap := &Snapshot{Endpoints: map[ServicePortName][]Endpoint{}}
	wanted := map[types.NamespacedName]bool{}
	for _, svc := range services {
		name := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
		ports, skips := servicePorts(family, svc)
		snap.Skipped = append(snap.Skipped, skips...)
		if len(ports) > 0 {
			wanted[name] = true
		}
		snap.Ports = append(snap.Ports, ports...)
	}
	sort.Slice(snap.Ports, func(i, j int) bool {
		a, b := snap.Ports[i].Name, snap.Ports[j].Name
		if a.String() != b.String() {
			return a.String() < b.String()
		}
		return a.Protocol < b.Protocol
	})

	addressType := discoveryv1.AddressTypeIPv4
	if family == corev1.IPv6Protocol {
		addressType = discoveryv1.AddressTypeIPv6
	}
	seen := map[ServicePortName]map[string]int{}
	// Slices are read in name order so that duplicates resolve the same way
	// on every sync.
	ordered := append([]*discoveryv1.EndpointSlice(nil), slices...)
	sort.Slice(ordered, func(i, j int) bool {
		if ordered[i].Namespace != ordered[j].Namespace {
			return ordered[i].Namespace < ordered[j].Namespace
		}
		return ordered[i].Name < ordered[j].Name
	})
	for _, slice := range ordered {
		service := slice.Labels[discoveryv1.LabelServiceName]
		svcName := types.NamespacedName{Namespace: slice.Namespace, Name: service}
		if service == "" || !wanted[svcName] || slice.AddressType != addressType {
			continue
		}
		for _, port := range slice.Ports {
			if port.Port == nil {
				continue
			}
			spn := ServicePortName{NamespacedName: svcName, Protocol: corev1.ProtocolTCP}
			if port.Name != nil {
				spn.Port = *port.Name
			}
			if port.Protocol != nil {
				spn.Protocol = *port.Protocol
			}
			if seen[spn] == nil {
				seen[spn] = map[string]int{}
			}
			for _, ep := range slice.Endpoints {
				if len(ep.Addresses) == 0 {
					continue
				}
				e := Endpoint{IP: ep.Addresses[0], Port: *port.Port}
				e.Ready = ep.Conditions.Ready == nil || *ep.Conditions.Ready
				e.Serving = e.Ready
				if ep.Conditions.Serving != nil {
					e.Serving = *ep.Conditions.Serving
				}
				e.Terminating = ep.Conditions.Terminating != nil && *ep.Conditions.Terminating
				e.Local = ep.NodeName != nil && *ep.NodeName == node && node != ""
				if net.ParseIP(e.IP) == nil {
					snap.Skipped = append(snap.Skipped, Skip{Object: types.NamespacedName{Namespace: slice.Namespace, Name: slice.Name},
						Kind: "EndpointSlice", Reason: fmt.Sprintf("endpoint address %q is not an IP", e.IP)})
					continue
				}
				// The same address in two slices (as during a handover
				// between controllers) is one endpoint; a ready copy wins.
				key := e.String()
				if i, dup := seen[spn][key]; dup {
					if !snap.Endpoints[spn][i].Ready && e.Ready {
						snap.Endpoints[spn][i] = e
					}
					continue
				}
				seen[spn][key] = len(snap.Endpoints[spn])
				snap.Endpoints[spn] = append(snap.Endpoints[spn], e)
			}
		}
	}
	for spn := range snap.Endpoints {
		eps := snap.Endpoints[spn]
		sort.Slice(eps, func(i, j int) bool { return eps[i].String() < eps[j].String() })
	}
	return snap
}

// servicePorts turns a Service into the ports the proxy programs for family.
func servicePorts(family Family, svc *corev1.Service) ([]*ServicePort, []Skip) {
	name := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
	clusterIP := ""
	for _, ip := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...) {
		if ipFamily(ip) == family {
			clusterIP = ip
			break
		}
	}
	if clusterIP == "" || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil, nil
	}
	var skips []Skip
	var ports []*ServicePort
	for _, p := range svc.Spec.Ports {
		switch p.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP, "":
		default:
			skips = append(skips, Skip{Object: name, Kind: "Service", Reason: fmt.Sprintf("port %d: protocol %q is not supported", p.Port, p.Protocol)})
			continue
		}
		sp := &ServicePort{
			Name:      ServicePortName{NamespacedName: name, Port: p.Name, Protocol: p.Protocol},
			ClusterIP: clusterIP,
			Port:      p.Port,
		}
		if sp.Name.Protocol == "" {
			sp.Name.Protocol = corev1.ProtocolTCP
		}
		if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			sp.NodePort = p.NodePort
		}
		for _, ip := range svc.Spec.ExternalIPs {
			if ipFamily(ip) == family {
				sp.ExternalIPs = append(sp.ExternalIPs, ip)
			}
		}
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			for _, ing := range svc.Status.LoadBalancer.Ingress {
				// An ingress in Proxy mode is reached through the load
				// balancer, which the node must not short-circuit.
				if ing.IP != "" && ipFamily(ing.IP) == family &&
					(ing.IPMode == nil || *ing.IPMode == corev1.LoadBalancerIPModeVIP) {
					sp.LoadBalancerIPs = append(sp.LoadBalancerIPs, ing.IP)
				}
			}
			for _, r := range svc.Spec.LoadBalancerSourceRanges {
				r = strings.TrimSpace(r)
				if _, cidr, err := net.ParseCIDR(r); err == nil && cidrFamily(cidr) == family {
					sp.LoadBalancerSourceRanges = append(sp.LoadBalancerSourceRanges, cidr.String())
				}
			}
		}
		if svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP {
			sp.AffinitySeconds = corev1.DefaultClientIPServiceAffinitySeconds
			if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
				sp.AffinitySeconds = *c.ClientIP.TimeoutSeconds
			}
		}
		externallyReached := sp.NodePort != 0 || len(sp.ExternalIPs) > 0 || len(sp.LoadBalancerIPs) > 0
		sp.ExternalLocal = externallyReached && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
		sp.InternalLocal = svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal
		if sp.ExternalLocal {
			sp.HealthCheckNodePort = svc.Spec.HealthCheckNodePort
		}
		ports = append(ports, sp)
	}
	return ports, skips
}

func ipFamily(s string) Family {
	ip := net.ParseIP(s)
	switch {
	case ip == nil:
		return ""
	case ip.To4() != nil:
		return corev1.IPv4Protocol
	default:
		return corev1.IPv6Protocol
	}
}

func cidrFamily(n *net.IPNet) Family {
	if n.IP.To4() != nil {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

// UsableEndpoints picks the endpoints traffic goes to, as upstream does:
// the ready ones; when there are none, the serving ones that are
// terminating, so that connections keep landing somewhere while a rollout
// drains the last pods. local restricts the choice to this node's.
func UsableEndpoints(eps []Endpoint, local bool) []Endpoint {
	var ready, terminating []Endpoint
	for _, e := range eps {
		if local && !e.Local {
			continue
		}
		switch {
		case e.Ready:
			ready = append(ready, e)
		case e.Serving && e.Terminating:
			terminating = append(terminating, e)
		}
	}
	if len(ready) > 0 {
		return ready
	}
	return terminating
}
