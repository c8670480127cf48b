package dns

import (
	"net"
	"slices"
	"strings"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
)

// SpecVersion is the version of the Kubernetes DNS specification served
// (the answer to dns-version.<zone> TXT).
const SpecVersion = "1.1.0"

// records answers for the cluster's zone from the informers' caches, as
// the Kubernetes DNS-based service discovery specification says.
type records struct {
	zone     string // "cluster.local.", lower case
	ttl      uint32
	services corelisters.ServiceLister
	slices   discoverylisters.EndpointSliceLister
}

// result is an answer before it becomes a message.
type result struct {
	rcode  int
	answer []dns.RR
	extra  []dns.RR
	// chase is the target of an ExternalName CNAME, to be resolved and
	// appended for A and AAAA questions.
	chase string
}

func (r *records) inZone(name string) bool {
	return name == r.zone || strings.HasSuffix(name, "."+r.zone)
}

// lookup answers a question whose name (lower case) is in the zone.
func (r *records) lookup(q dns.Question, name string) result {
	rel := strings.TrimSuffix(strings.TrimSuffix(name, r.zone), ".")
	var l []string
	if rel != "" {
		l = strings.Split(rel, ".")
	}
	switch {
	case len(l) == 0:
		if q.Qtype == dns.TypeSOA {
			return result{answer: []dns.RR{r.soa()}}
		}
		if q.Qtype == dns.TypeNS {
			return result{answer: []dns.RR{&dns.NS{Hdr: r.hdr(r.zone, dns.TypeNS), Ns: "ns.dns." + r.zone}}}
		}
		return noData
	case len(l) == 1 && l[0] == "dns-version":
		if q.Qtype == dns.TypeTXT {
			return result{answer: []dns.RR{&dns.TXT{Hdr: r.hdr(name, dns.TypeTXT), Txt: []string{SpecVersion}}}}
		}
		return noData
	case l[len(l)-1] == "svc":
		return r.lookupService(q, name, l[:len(l)-1])
	case l[len(l)-1] == "pod":
		return r.lookupPod(q, name, l[:len(l)-1])
	}
	return nxDomain
}

var (
	noData   = result{rcode: dns.RcodeSuccess}
	nxDomain = result{rcode: dns.RcodeNameError}
)

// lookupService answers <...>.svc.<zone>; l are the labels before "svc".
func (r *records) lookupService(q dns.Question, name string, l []string) result {
	switch len(l) {
	case 0: // svc.<zone>
		return noData
	case 1: // <ns>.svc.<zone>
		if list, _ := r.services.Services(l[0]).List(labels.Everything()); len(list) > 0 {
			return noData
		}
		return nxDomain
	case 2: // <service>.<ns>.svc.<zone>
		svc, ok := r.service(l[1], l[0])
		if !ok {
			return nxDomain
		}
		return r.serviceRecords(q, name, svc)
	case 3: // <endpoint>.<service>.<ns>.svc.<zone>
		svc, ok := r.service(l[2], l[1])
		if !ok || !isHeadless(svc) {
			return nxDomain
		}
		var out result
		for _, ep := range r.endpoints(svc, q.Qtype) {
			if ep.label == l[0] && wantsAddress(q.Qtype) {
				out.answer = append(out.answer, r.address(name, ep.ip))
			}
		}
		if len(out.answer) == 0 && !r.endpointExists(svc, l[0]) {
			return nxDomain
		}
		return out
	case 4: // _<port>._<protocol>.<service>.<ns>.svc.<zone>
		if !strings.HasPrefix(l[0], "_") || !strings.HasPrefix(l[1], "_") {
			return nxDomain
		}
		svc, ok := r.service(l[3], l[2])
		if !ok {
			return nxDomain
		}
		port, protocol := l[0][1:], l[1][1:]
		var matched []corev1.ServicePort
		for _, p := range svc.Spec.Ports {
			if p.Name == port && strings.EqualFold(string(p.Protocol), protocol) {
				matched = append(matched, p)
			}
		}
		if len(matched) == 0 {
			return nxDomain
		}
		if q.Qtype != dns.TypeSRV && q.Qtype != dns.TypeANY {
			return noData
		}
		return r.srv(name, svc, matched)
	}
	return nxDomain
}

// serviceRecords are a service's own name's records: its cluster IPs (or
// its ready endpoints' addresses, headless), SRV records of all its
// ports, or the CNAME of an ExternalName service.
func (r *records) serviceRecords(q dns.Question, name string, svc *corev1.Service) result {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		target := dns.Fqdn(strings.ToLower(svc.Spec.ExternalName))
		out := result{answer: []dns.RR{&dns.CNAME{Hdr: r.hdr(name, dns.TypeCNAME), Target: target}}}
		if wantsAddress(q.Qtype) {
			out.chase = target
		}
		return out
	}
	if q.Qtype == dns.TypeSRV {
		return r.srv(name, svc, svc.Spec.Ports)
	}
	if !wantsAddress(q.Qtype) {
		return noData
	}
	var out result
	if isHeadless(svc) {
		seen := map[string]bool{}
		for _, ep := range r.endpoints(svc, q.Qtype) {
			if !seen[ep.ip.String()] {
				seen[ep.ip.String()] = true
				out.answer = append(out.answer, r.address(name, ep.ip))
			}
		}
		return out
	}
	for _, s := range clusterIPs(svc) {
		if ip := net.ParseIP(s); ip != nil && familyMatches(q.Qtype, ip) {
			out.answer = append(out.answer, r.address(name, ip))
		}
	}
	return out
}

// srv gives the SRV records of ports: one per port, to the service's name
// for a service with a cluster IP, one per ready endpoint and port, to the
// endpoint's name, for a headless one; their addresses go in the
// additional section.
func (r *records) srv(name string, svc *corev1.Service, ports []corev1.ServicePort) result {
	svcName := svc.Name + "." + svc.Namespace + ".svc." + r.zone
	var out result
	if !isHeadless(svc) {
		for _, p := range ports {
			out.answer = append(out.answer, &dns.SRV{Hdr: r.hdr(name, dns.TypeSRV), Priority: 0, Weight: weight(len(ports)), Port: uint16(p.Port), Target: svcName})
		}
		for _, s := range clusterIPs(svc) {
			if ip := net.ParseIP(s); ip != nil {
				out.extra = append(out.extra, r.address(svcName, ip))
			}
		}
		return out
	}
	var endpoints []endpoint
	for _, ep := range r.endpoints(svc, dns.TypeANY) {
		for _, p := range ports {
			if port, ok := ep.ports[p.Name]; ok {
				ep.port = port
				endpoints = append(endpoints, ep)
			}
		}
	}
	for _, ep := range endpoints {
		target := ep.label + "." + svcName
		out.answer = append(out.answer, &dns.SRV{Hdr: r.hdr(name, dns.TypeSRV), Priority: 0, Weight: weight(len(endpoints)), Port: uint16(ep.port), Target: target})
		out.extra = append(out.extra, r.address(target, ep.ip))
	}
	return out
}

// weight shares 100 among n records of one priority, as CoreDNS does.
func weight(n int) uint16 {
	if n == 0 {
		return 0
	}
	if w := 100 / n; w > 0 {
		return uint16(w)
	}
	return 1
}

// lookupPod answers <a-b-c-d>.<ns>.pod.<zone> with a.b.c.d, for any
// well-formed address (CoreDNS's "pods insecure", the kubeadm default).
func (r *records) lookupPod(q dns.Question, name string, l []string) result {
	switch len(l) {
	case 0, 1:
		return noData
	case 2:
		ip := net.ParseIP(strings.ReplaceAll(l[0], "-", "."))
		if ip == nil || ip.To4() == nil {
			if ip = net.ParseIP(strings.ReplaceAll(l[0], "-", ":")); ip == nil {
				return nxDomain
			}
		}
		if !familyMatches(q.Qtype, ip) {
			return noData
		}
		return result{answer: []dns.RR{r.address(name, ip)}}
	}
	return nxDomain
}

// reverse answers a PTR question for the address of a service or of a
// headless service's endpoint; ok is false for any other address.
func (r *records) reverse(name string) (result, bool) {
	ip := reverseIP(name)
	if ip == nil {
		return result{}, false
	}
	services, err := r.services.List(labels.Everything())
	if err != nil {
		return result{}, false
	}
	for _, svc := range services {
		if isHeadless(svc) {
			for _, ep := range r.endpoints(svc, dns.TypeANY) {
				if ep.ip.Equal(ip) {
					target := ep.label + "." + svc.Name + "." + svc.Namespace + ".svc." + r.zone
					return result{answer: []dns.RR{&dns.PTR{Hdr: r.hdr(name, dns.TypePTR), Ptr: target}}}, true
				}
			}
			continue
		}
		for _, s := range clusterIPs(svc) {
			if net.ParseIP(s).Equal(ip) {
				target := svc.Name + "." + svc.Namespace + ".svc." + r.zone
				return result{answer: []dns.RR{&dns.PTR{Hdr: r.hdr(name, dns.TypePTR), Ptr: target}}}, true
			}
		}
	}
	return result{}, false
}

// reverseIP parses d.c.b.a.in-addr.arpa. (and the nibbles of ip6.arpa.).
func reverseIP(name string) net.IP {
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa."); ok {
		parts := strings.Split(rest, ".")
		if len(parts) != 4 {
			return nil
		}
		slices.Reverse(parts)
		return net.ParseIP(strings.Join(parts, ".")).To4()
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa."); ok {
		nibbles := strings.Split(rest, ".")
		if len(nibbles) != 32 {
			return nil
		}
		slices.Reverse(nibbles)
		var b strings.Builder
		for i, n := range nibbles {
			if i > 0 && i%4 == 0 {
				b.WriteByte(':')
			}
			b.WriteString(n)
		}
		return net.ParseIP(b.String())
	}
	return nil
}

// endpoint is one ready address of a headless service.
type endpoint struct {
	ip net.IP
	// label names it under the service: its hostname, else its address
	// with dashes.
	label string
	ports map[string]int32
	port  int32
}

// endpoints are the service's ready endpoints (all of them with
// publishNotReadyAddresses) of the address family qtype asks for.
func (r *records) endpoints(svc *corev1.Service, qtype uint16) []endpoint {
	list, err := r.slices.EndpointSlices(svc.Namespace).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name}))
	if err != nil {
		return nil
	}
	var out []endpoint
	for _, slice := range list {
		if slice.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		ports := map[string]int32{}
		for _, p := range slice.Ports {
			if p.Port != nil {
				name := ""
				if p.Name != nil {
					name = *p.Name
				}
				ports[name] = *p.Port
			}
		}
		for _, ep := range slice.Endpoints {
			if !svc.Spec.PublishNotReadyAddresses && ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, a := range ep.Addresses {
				ip := net.ParseIP(a)
				if ip == nil || qtype != dns.TypeANY && !familyMatches(qtype, ip) {
					continue
				}
				label := dashed(ip)
				if ep.Hostname != nil && *ep.Hostname != "" {
					label = strings.ToLower(*ep.Hostname)
				}
				out = append(out, endpoint{ip: ip, label: label, ports: ports})
			}
		}
	}
	return out
}

// endpointExists says whether a name under a headless service belongs to
// an endpoint of either family (NODATA, not NXDOMAIN, for the other).
func (r *records) endpointExists(svc *corev1.Service, label string) bool {
	for _, ep := range r.endpoints(svc, dns.TypeANY) {
		if ep.label == label {
			return true
		}
	}
	return false
}

func (r *records) service(namespace, name string) (*corev1.Service, bool) {
	svc, err := r.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) || err != nil {
		return nil, false
	}
	return svc, true
}

func (r *records) hdr(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: r.ttl}
}

func (r *records) address(name string, ip net.IP) dns.RR {
	if v4 := ip.To4(); v4 != nil {
		return &dns.A{Hdr: r.hdr(name, dns.TypeA), A: v4}
	}
	return &dns.AAAA{Hdr: r.hdr(name, dns.TypeAAAA), AAAA: ip}
}

// soa is the zone's SOA record, sent with negative answers (its minimum
// is their TTL).
func (r *records) soa() dns.RR {
	return &dns.SOA{Hdr: r.hdr(r.zone, dns.TypeSOA), Ns: "ns.dns." + r.zone, Mbox: "hostmaster." + r.zone,
		Serial: 1, Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: r.ttl}
}

func isHeadless(svc *corev1.Service) bool {
	return svc.Spec.ClusterIP == corev1.ClusterIPNone
}

func clusterIPs(svc *corev1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	if svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone {
		return []string{svc.Spec.ClusterIP}
	}
	return nil
}

func wantsAddress(qtype uint16) bool {
	return qtype == dns.TypeA || qtype == dns.TypeAAAA || qtype == dns.TypeANY
}

func familyMatches(qtype uint16, ip net.IP) bool {
	switch qtype {
	case dns.TypeA:
		return ip.To4() != nil
	case dns.TypeAAAA:
		return ip.To4() == nil
	}
	return qtype == dns.TypeANY
}

// dashed is an address as a DNS label: 10.244.1.5 -> 10-244-1-5.
func dashed(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return strings.ReplaceAll(v4.String(), ".", "-")
	}
	return strings.ReplaceAll(ip.String(), ":", "-")
}
