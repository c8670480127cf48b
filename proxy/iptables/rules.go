// Package iptables programs Service addresses into the node's iptables, in
// the chain layout of kube-proxy's iptables mode so that operators find what
// they know: KUBE-SERVICES → KUBE-SVC-* → KUBE-SEP-*, KUBE-NODEPORTS,
// KUBE-EXT-*, KUBE-MARK-MASQ and KUBE-POSTROUTING in nat; KUBE-SERVICES,
// KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS, KUBE-FORWARD and
// KUBE-PROXY-FIREWALL in filter. Render turns a snapshot into
// iptables-restore input; Syncer applies it.
package iptables

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/kybernetes/kybernetes/proxy/state"
)

// The fixed chains.
const (
	servicesChain         = "KUBE-SERVICES"
	externalServicesChain = "KUBE-EXTERNAL-SERVICES"
	nodePortsChain        = "KUBE-NODEPORTS"
	postroutingChain      = "KUBE-POSTROUTING"
	markMasqChain         = "KUBE-MARK-MASQ"
	forwardChain          = "KUBE-FORWARD"
	proxyFirewallChain    = "KUBE-PROXY-FIREWALL"
)

// Prefixes of the per-service and per-endpoint nat chains; a chain with one
// of them that a sync does not write is stale and deleted.
var perServicePrefixes = []string{"KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-"}

// Config is what rule generation needs besides the snapshot.
type Config struct {
	// MasqueradeBit is the fwmark bit that asks KUBE-POSTROUTING to SNAT
	// (upstream's --iptables-masquerade-bit, 14).
	MasqueradeBit int
	// MasqueradeAll SNATs all traffic to cluster IPs.
	MasqueradeAll bool
	// ClusterCIDR is the pods' range; traffic to a cluster IP from outside
	// it is masqueraded, and pod traffic to a Local service's external
	// address is short-circuited to the cluster endpoints.
	ClusterCIDR string
	// NodePortAddresses are the local addresses node ports answer on; empty
	// means every local address.
	NodePortAddresses []string
	// RandomFully adds --random-fully to MASQUERADE when iptables has it.
	RandomFully bool
}

func (c Config) mark() string {
	bit := c.MasqueradeBit
	if bit == 0 {
		bit = 14
	}
	return fmt.Sprintf("%#x/%#x", 1<<bit, 1<<bit)
}

// Tables is one sync's iptables-restore input.
type Tables struct {
	Data []byte
	// NATRules and FilterRules count the rules written, for metrics.
	NATRules, FilterRules int
	// NATChains are the nat chains in use after this sync, written by it or
	// kept from an earlier one.
	NATChains []string
}

// lines builds one table's chain declarations and rules.
type lines struct {
	chains []string
	rules  bytes.Buffer
	count  int
}

func (l *lines) chain(name string) { l.chains = append(l.chains, name) }

// add writes one rule; words that hold spaces (comments) are quoted.
func (l *lines) add(words ...string) {
	for i, w := range words {
		if i > 0 {
			l.rules.WriteByte(' ')
		}
		if strings.ContainsAny(w, " \t") {
			w = `"` + w + `"`
		}
		l.rules.WriteString(w)
	}
	l.rules.WriteByte('\n')
	l.count++
}

func (l *lines) write(out *bytes.Buffer) {
	for _, c := range l.chains {
		fmt.Fprintf(out, ":%s - [0:0]\n", c)
	}
	out.Write(l.rules.Bytes())
}

// chainName is prefix + 16 characters of a hash of key: stable across
// restarts, unique per service port (and endpoint), within iptables' 28.
func chainName(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:16]
}

// Render writes the filter and nat tables for snap. existingNAT are the nat
// chains present now: stale per-service ones among them are deleted.
// localAddresses are the node's addresses, used only with NodePortAddresses.
func Render(cfg Config, snap *state.Snapshot, existingNAT []string, localAddresses []net.IP) *Tables {
	return RenderPartial(cfg, snap, existingNAT, localAddresses, nil)
}

// RenderPartial is Render that rewrites the chains of the changed services
// only (all of them when changed is nil). The shared chains are always
// written whole; they hold one entry rule per service address, while the
// bulk of the rules is in per-service chains.
func RenderPartial(cfg Config, snap *state.Snapshot, existingNAT []string, localAddresses []net.IP, changed map[types.NamespacedName]bool) *Tables {
	filter, nat := &lines{}, &lines{}
	for _, c := range []string{servicesChain, externalServicesChain, forwardChain, nodePortsChain, proxyFirewallChain} {
		filter.chain(c)
	}
	for _, c := range []string{servicesChain, nodePortsChain, postroutingChain, markMasqChain} {
		nat.chain(c)
	}
	mark := cfg.mark()
	bit := strings.SplitN(mark, "/", 2)[0]

	// SNAT what KUBE-MARK-MASQ marked, clearing the mark so that a packet
	// that is re-routed is not masqueraded twice.
	nat.add("-A", postroutingChain, "-m", "mark", "!", "--mark", mark, "-j", "RETURN")
	nat.add("-A", postroutingChain, "-j", "MARK", "--xor-mark", bit)
	masq := []string{"-A", postroutingChain, "-m", "comment", "--comment", "kubernetes service traffic requiring SNAT", "-j", "MASQUERADE"}
	if cfg.RandomFully {
		masq = append(masq, "--random-fully")
	}
	nat.add(masq...)
	nat.add("-A", markMasqChain, "-j", "MARK", "--or-mark", bit)

	owned := map[string]bool{}
	for _, sp := range snap.Ports {
		writeServicePort(cfg, filter, nat, sp, snap.Endpoints[sp.Name], owned, changed == nil || changed[sp.Name.NamespacedName])
	}

	// Node ports last: they match on the destination being local, which
	// every cluster IP rule before them has had its chance at.
	nodePortsComment := "kubernetes service nodeports; NOTE: this must be the last rule in this chain"
	if len(cfg.NodePortAddresses) == 0 {
		nat.add("-A", servicesChain, "-m", "comment", "--comment", nodePortsComment, "-m", "addrtype", "--dst-type", "LOCAL", "-j", nodePortsChain)
	} else {
		for _, ip := range nodePortIPs(cfg.NodePortAddresses, localAddresses) {
			nat.add("-A", servicesChain, "-m", "comment", "--comment", nodePortsComment, "-d", ip, "-j", nodePortsChain)
		}
	}

	filter.add("-A", forwardChain, "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP")
	filter.add("-A", forwardChain, "-m", "comment", "--comment", "kubernetes forwarding rules", "-m", "mark", "--mark", mark, "-j", "ACCEPT")
	filter.add("-A", forwardChain, "-m", "comment", "--comment", "kubernetes forwarding conntrack rule", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")

	// A chain is declared (which flushes it) and then deleted.
	var stale []string
	for _, c := range existingNAT {
		if _, inUse := owned[c]; !inUse && hasPerServicePrefix(c) {
			stale = append(stale, c)
		}
	}
	sort.Strings(stale)
	perService, written := make([]string, 0, len(owned)), make([]string, 0, len(owned))
	for c, write := range owned {
		perService = append(perService, c)
		if write {
			written = append(written, c)
		}
	}
	sort.Strings(perService)
	sort.Strings(written)
	nat.chains = append(nat.chains, written...)
	nat.chains = append(nat.chains, stale...)
	for _, c := range stale {
		nat.rules.WriteString("-X " + c + "\n")
	}

	var out bytes.Buffer
	out.WriteString("*filter\n")
	filter.write(&out)
	out.WriteString("COMMIT\n*nat\n")
	nat.write(&out)
	out.WriteString("COMMIT\n")
	return &Tables{Data: out.Bytes(), NATRules: nat.count, FilterRules: filter.count,
		NATChains: append([]string{servicesChain, nodePortsChain, postroutingChain, markMasqChain}, perService...)}
}

func hasPerServicePrefix(chain string) bool {
	for _, p := range perServicePrefixes {
		if strings.HasPrefix(chain, p) {
			return true
		}
	}
	return false
}

// nodePortIPs are the local addresses inside the --nodeport-addresses ranges.
func nodePortIPs(cidrs []string, local []net.IP) []string {
	var ips []string
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			continue
		}
		for _, ip := range local {
			if n.Contains(ip) {
				ips = append(ips, ip.String())
			}
		}
	}
	sort.Strings(ips)
	return ips
}

// writeServicePort writes everything for one service port: its entry
// rules, its policy chains and one chain per endpoint.
//
// write false leaves the service's own chains as the kernel has them (a
// partial sync, for a service that has not changed): its entry rules in the
// shared chains are written, its chains only counted as in use.
func writeServicePort(cfg Config, filter, nat *lines, sp *state.ServicePort, eps []state.Endpoint, owned map[string]bool, write bool) {
	name := sp.Name.String()
	proto := strings.ToLower(string(sp.Name.Protocol))
	key := name + proto
	svcChain := chainName("KUBE-SVC-", key)
	svlChain := chainName("KUBE-SVL-", key)
	extChain := chainName("KUBE-EXT-", key)
	fwChain := chainName("KUBE-FW-", key)

	clusterEps := state.UsableEndpoints(eps, false)
	localEps := state.UsableEndpoints(eps, true)
	external := sp.NodePort != 0 || len(sp.ExternalIPs) > 0 || len(sp.LoadBalancerIPs) > 0

	hasEndpoints := len(clusterEps) > 0
	internalChain, hasInternal := svcChain, hasEndpoints
	if sp.InternalLocal {
		internalChain, hasInternal = svlChain, len(localEps) > 0
	}
	externalPolicyChain, hasExternal := svcChain, hasEndpoints
	if sp.ExternalLocal {
		externalPolicyChain, hasExternal = svlChain, len(localEps) > 0
	}
	// The cluster chain serves cluster-policy traffic, and also the pod and
	// node traffic that a Local external policy short-circuits.
	usesClusterChain := hasEndpoints && (!sp.InternalLocal || external)
	usesLocalChain := sp.InternalLocal || sp.ExternalLocal

	match := []string{"-m", proto, "-p", proto}
	noEndpoints := func(chain string, local bool, extra ...string) {
		comment, target := name+" has no endpoints", []string{"-j", "REJECT"}
		if local && hasEndpoints {
			comment, target = name+" has no local endpoints", []string{"-j", "DROP"}
		}
		filter.add(concat([]string{"-A", chain, "-m", "comment", "--comment", comment}, extra, target)...)
	}

	// The cluster IP.
	dest := func(ip string, port int32) []string {
		return concat(match, []string{"-d", ip, "--dport", fmt.Sprint(port)})
	}
	if hasInternal {
		nat.add(concat([]string{"-A", servicesChain, "-m", "comment", "--comment", name + " cluster IP"}, dest(sp.ClusterIP, sp.Port), []string{"-j", internalChain})...)
	} else {
		noEndpoints(servicesChain, sp.InternalLocal, dest(sp.ClusterIP, sp.Port)...)
	}

	// External IPs, load balancer IPs and the node port all enter through
	// the EXT chain.
	for _, ip := range sp.ExternalIPs {
		if hasEndpoints {
			nat.add(concat([]string{"-A", servicesChain, "-m", "comment", "--comment", name + " external IP"}, dest(ip, sp.Port), []string{"-j", extChain})...)
		}
		if !hasExternal {
			noEndpoints(externalServicesChain, sp.ExternalLocal, dest(ip, sp.Port)...)
		}
	}
	for _, ip := range sp.LoadBalancerIPs {
		if hasEndpoints {
			target := extChain
			if len(sp.LoadBalancerSourceRanges) > 0 {
				target = fwChain
			}
			nat.add(concat([]string{"-A", servicesChain, "-m", "comment", "--comment", name + " loadbalancer IP"}, dest(ip, sp.Port), []string{"-j", target})...)
		}
		if !hasExternal {
			noEndpoints(externalServicesChain, sp.ExternalLocal, dest(ip, sp.Port)...)
		} else if len(sp.LoadBalancerSourceRanges) > 0 {
			filter.add(concat([]string{"-A", proxyFirewallChain, "-m", "comment", "--comment", name + " traffic not accepted by " + fwChain}, dest(ip, sp.Port), []string{"-j", "DROP"})...)
		}
	}
	if sp.NodePort != 0 {
		port := concat(match, []string{"--dport", fmt.Sprint(sp.NodePort)})
		if hasEndpoints {
			nat.add(concat([]string{"-A", nodePortsChain, "-m", "comment", "--comment", name}, port, []string{"-j", extChain})...)
		}
		if !hasExternal {
			noEndpoints(externalServicesChain, sp.ExternalLocal, concat([]string{"-m", "addrtype", "--dst-type", "LOCAL"}, port)...)
		}
	}
	if sp.HealthCheckNodePort != 0 {
		filter.add("-A", nodePortsChain, "-m", "comment", "--comment", name+" health check node port",
			"-m", "tcp", "-p", "tcp", "--dport", fmt.Sprint(sp.HealthCheckNodePort), "-j", "ACCEPT")
	}

	if !write {
		// The kernel keeps this service's chains from an earlier sync:
		// they are only counted as in use.
		markInUse(owned, key, external && hasEndpoints, len(sp.LoadBalancerIPs) > 0 && len(sp.LoadBalancerSourceRanges) > 0 && hasEndpoints,
			usesClusterChain, usesLocalChain, svcChain, svlChain, extChain, fwChain, clusterEps, localEps)
		return
	}
	perService := nat

	// Masquerading for traffic from outside the pods' range (or for all).
	if hasInternal {
		masq := []string{"-A", internalChain, "-m", "comment", "--comment", name + " cluster IP"}
		switch {
		case cfg.MasqueradeAll:
			perService.add(concat(masq, dest(sp.ClusterIP, sp.Port), []string{"-j", markMasqChain})...)
		case cfg.ClusterCIDR != "":
			perService.add(concat(masq, dest(sp.ClusterIP, sp.Port), []string{"!", "-s", cfg.ClusterCIDR, "-j", markMasqChain})...)
		}
	}

	if external && hasEndpoints {
		owned[extChain] = write
		if !sp.ExternalLocal {
			perService.add("-A", extChain, "-m", "comment", "--comment", "masquerade traffic for "+name+" external destinations", "-j", markMasqChain)
		} else {
			if cfg.ClusterCIDR != "" {
				perService.add("-A", extChain, "-m", "comment", "--comment", "pod traffic for "+name+" external destinations", "-s", cfg.ClusterCIDR, "-j", svcChain)
			}
			perService.add("-A", extChain, "-m", "comment", "--comment", "masquerade LOCAL traffic for "+name+" external destinations", "-m", "addrtype", "--src-type", "LOCAL", "-j", markMasqChain)
			perService.add("-A", extChain, "-m", "comment", "--comment", "route LOCAL traffic for "+name+" external destinations", "-m", "addrtype", "--src-type", "LOCAL", "-j", svcChain)
		}
		perService.add("-A", extChain, "-j", externalPolicyChain)
	}
	if len(sp.LoadBalancerIPs) > 0 && len(sp.LoadBalancerSourceRanges) > 0 && hasEndpoints {
		owned[fwChain] = write
		for _, ip := range sp.LoadBalancerIPs {
			for _, r := range sp.LoadBalancerSourceRanges {
				perService.add(concat([]string{"-A", fwChain, "-m", "comment", "--comment", name + " loadbalancer IP"}, dest(ip, sp.Port), []string{"-s", r, "-j", extChain})...)
			}
		}
		perService.add("-A", fwChain, "-m", "comment", "--comment", "other traffic to "+name+" will be dropped by KUBE-PROXY-FIREWALL")
	}

	if usesClusterChain {
		owned[svcChain] = write
		writeBalancing(perService, name, key, svcChain, sp, clusterEps)
	}
	if usesLocalChain {
		owned[svlChain] = write
		writeBalancing(perService, name, key, svlChain, sp, localEps)
	}

	// One chain per endpoint in use: hairpin traffic (a pod reaching
	// itself through the service) is masqueraded so that replies come back
	// through the node.
	written := map[string]bool{}
	for _, set := range [][]state.Endpoint{clusterEps, localEps} {
		for _, ep := range set {
			sep := chainName("KUBE-SEP-", key+ep.String())
			if written[sep] || (!usesClusterChain && !(usesLocalChain && ep.Local)) {
				continue
			}
			written[sep] = true
			owned[sep] = write
			perService.add("-A", sep, "-m", "comment", "--comment", name, "-s", ep.IP, "-j", markMasqChain)
			rule := []string{"-A", sep, "-m", "comment", "--comment", name}
			if sp.AffinitySeconds > 0 {
				rule = append(rule, "-m", "recent", "--name", sep, "--set")
			}
			perService.add(concat(rule, match, []string{"-j", "DNAT", "--to-destination", ep.String()})...)
		}
	}
}

// markInUse records the chains writeServicePort would write for a service,
// without writing them.
func markInUse(owned map[string]bool, key string, ext, fw, cluster, local bool, svcChain, svlChain, extChain, fwChain string, clusterEps, localEps []state.Endpoint) {
	for _, c := range []struct {
		used bool
		name string
	}{{ext, extChain}, {fw, fwChain}, {cluster, svcChain}, {local, svlChain}} {
		if c.used {
			owned[c.name] = false
		}
	}
	for _, ep := range clusterEps {
		if cluster || (local && ep.Local) {
			owned[chainName("KUBE-SEP-", key+ep.String())] = false
		}
	}
	for _, ep := range localEps {
		if local {
			owned[chainName("KUBE-SEP-", key+ep.String())] = false
		}
	}
}

// writeBalancing spreads a policy chain's traffic over its endpoints:
// affinity first (a client seen recently goes back to its endpoint), then
// an even random split, each rule taking 1/remaining of what reaches it.
func writeBalancing(nat *lines, name, key, chain string, sp *state.ServicePort, eps []state.Endpoint) {
	if sp.AffinitySeconds > 0 {
		for _, ep := range eps {
			sep := chainName("KUBE-SEP-", key+ep.String())
			nat.add("-A", chain, "-m", "comment", "--comment", name+" -> "+ep.String(),
				"-m", "recent", "--name", sep, "--rcheck", "--seconds", fmt.Sprint(sp.AffinitySeconds), "--reap", "-j", sep)
		}
	}
	for i, ep := range eps {
		sep := chainName("KUBE-SEP-", key+ep.String())
		rule := []string{"-A", chain, "-m", "comment", "--comment", name + " -> " + ep.String()}
		if remaining := len(eps) - i; remaining > 1 {
			rule = append(rule, "-m", "statistic", "--mode", "random", "--probability", fmt.Sprintf("%0.10f", 1/float64(remaining)))
		}
		nat.add(append(rule, "-j", sep)...)
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
