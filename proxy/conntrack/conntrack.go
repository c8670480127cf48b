// Package conntrack removes UDP conntrack entries that a change of
// endpoints leaves stale. TCP needs nothing: a connection to a removed
// endpoint fails and the client reconnects. UDP has no connection to fail —
// a client that keeps its source port keeps hitting the conntrack entry of
// an endpoint that is gone (or of the REJECT it met before there were any),
// until the entry times out. Upstream's kube-proxy deletes these entries
// after each sync; so does this package, over netlink.
package conntrack

import (
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/proxy/state"
)

// Flow names entries to delete: those sent to Address:Port (a service
// address; any address for a node port) and, when Endpoint is set, DNATed
// to that endpoint.
type Flow struct {
	Address  string
	Port     int32
	Endpoint string
}

// StaleFlows compares two snapshots and names the UDP flows the change left
// stale: those to endpoints no longer used, and every flow to a service
// address that had no endpoints before (its packets were rejected) and
// has some now (or that is new).
func StaleFlows(before, after *state.Snapshot) []Flow {
	if before == nil {
		return nil
	}
	type addr struct {
		ip   string
		port int32
	}
	addresses := func(sp *state.ServicePort) []addr {
		out := []addr{{sp.ClusterIP, sp.Port}}
		for _, ip := range append(append([]string(nil), sp.ExternalIPs...), sp.LoadBalancerIPs...) {
			out = append(out, addr{ip, sp.Port})
		}
		if sp.NodePort != 0 {
			out = append(out, addr{"", sp.NodePort}) // any local address
		}
		return out
	}
	used := func(s *state.Snapshot, sp *state.ServicePort) map[string]bool {
		m := map[string]bool{}
		for _, e := range state.UsableEndpoints(s.Endpoints[sp.Name], false) {
			m[e.IP] = true
		}
		return m
	}
	old := map[state.ServicePortName]*state.ServicePort{}
	for _, sp := range before.Ports {
		old[sp.Name] = sp
	}
	var flows []Flow
	for _, sp := range after.Ports {
		if sp.Name.Protocol != corev1.ProtocolUDP {
			continue
		}
		// A service new to this proxy counts as one that had no endpoints:
		// clients may have sent to its address before it was programmed.
		prev, ok := old[sp.Name]
		was := map[string]bool{}
		if ok {
			was = used(before, prev)
		}
		now := used(after, sp)
		if len(was) == 0 && len(now) > 0 {
			for _, a := range addresses(sp) {
				flows = append(flows, Flow{Address: a.ip, Port: a.port})
			}
			continue
		}
		for ip := range was {
			if !now[ip] {
				for _, a := range addresses(prev) {
					flows = append(flows, Flow{Address: a.ip, Port: a.port, Endpoint: ip})
				}
			}
		}
	}
	// A UDP service that is gone: its endpoints' flows go too.
	current := map[state.ServicePortName]bool{}
	for _, sp := range after.Ports {
		current[sp.Name] = true
	}
	for _, sp := range before.Ports {
		if sp.Name.Protocol != corev1.ProtocolUDP || current[sp.Name] {
			continue
		}
		for ip := range used(before, sp) {
			for _, a := range addresses(sp) {
				flows = append(flows, Flow{Address: a.ip, Port: a.port, Endpoint: ip})
			}
		}
	}
	return flows
}

// Delete removes the flows' UDP entries from the kernel's conntrack table.
func Delete(flows []Flow) {
	if len(flows) == 0 {
		return
	}
	var filters []netlink.CustomConntrackFilter
	for _, f := range flows {
		filter := &netlink.ConntrackFilter{}
		_ = filter.AddProtocol(unix.IPPROTO_UDP)
		if f.Address != "" {
			ip := net.ParseIP(f.Address)
			if ip == nil || ip.To4() == nil {
				continue
			}
			_ = filter.AddIP(netlink.ConntrackOrigDstIP, ip)
		}
		_ = filter.AddPort(netlink.ConntrackOrigDstPort, uint16(f.Port))
		if f.Endpoint != "" {
			if ep := net.ParseIP(f.Endpoint); ep != nil {
				_ = filter.AddIP(netlink.ConntrackReplySrcIP, ep)
			}
		}
		filters = append(filters, filter)
	}
	n, err := netlink.ConntrackDeleteFilters(netlink.ConntrackTable, unix.AF_INET, filters...)
	if err != nil {
		klog.ErrorS(err, "Failed to delete stale UDP conntrack entries", "flows", len(flows))
		return
	}
	klog.V(2).InfoS("Deleted stale UDP conntrack entries", "entries", n, "flows", len(flows))
}
