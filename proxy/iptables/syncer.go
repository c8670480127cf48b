package iptables

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	goiptables "github.com/coreos/go-iptables/iptables"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/proxy/state"
)

// jump is a rule in a built-in chain that sends traffic into ours.
type jump struct {
	table, chain, target, comment string
	newOnly                       bool
}

// jumps are the entry points, as kube-proxy places them.
var jumps = []jump{
	{"filter", "INPUT", proxyFirewallChain, "kubernetes load balancer firewall", true},
	{"filter", "INPUT", nodePortsChain, "kubernetes health check service ports", false},
	{"filter", "INPUT", externalServicesChain, "kubernetes externally-visible service portals", true},
	{"filter", "FORWARD", proxyFirewallChain, "kubernetes load balancer firewall", true},
	{"filter", "FORWARD", forwardChain, "kubernetes forwarding rules", false},
	{"filter", "FORWARD", servicesChain, "kubernetes service portals", true},
	{"filter", "FORWARD", externalServicesChain, "kubernetes externally-visible service portals", true},
	{"filter", "OUTPUT", proxyFirewallChain, "kubernetes load balancer firewall", true},
	{"filter", "OUTPUT", servicesChain, "kubernetes service portals", true},
	{"nat", "OUTPUT", servicesChain, "kubernetes service portals", false},
	{"nat", "PREROUTING", servicesChain, "kubernetes service portals", false},
	{"nat", "POSTROUTING", postroutingChain, "kubernetes postrouting rules", false},
}

func (j jump) rule() []string {
	var r []string
	if j.newOnly {
		r = append(r, "-m", "conntrack", "--ctstate", "NEW")
	}
	return append(r, "-m", "comment", "--comment", j.comment, "-j", j.target)
}

// fixedChains are the chains every sync declares, per table.
var fixedChains = map[string][]string{
	"filter": {servicesChain, externalServicesChain, forwardChain, nodePortsChain, proxyFirewallChain},
	"nat":    {servicesChain, nodePortsChain, postroutingChain, markMasqChain},
}

// Syncer applies rendered tables to the host's iptables, through the
// backend (nf_tables or legacy) the host uses.
type Syncer struct {
	Config Config
	ipt    *goiptables.IPTables
	// restore is the iptables-restore of the same backend as ipt.
	restore string
	// chains are the nat chains in use after the last successful sync: a
	// partial sync finds stale ones among them instead of listing the
	// kernel's (which costs as much as the sync itself at scale).
	chains []string
}

// NewSyncer finds the host's IPv4 iptables backend.
func NewSyncer(cfg Config) (*Syncer, error) {
	command := DetectCommand()
	ipt, err := goiptables.New(goiptables.IPFamily(goiptables.ProtocolIPv4), goiptables.Path(command), goiptables.Timeout(5))
	if err != nil {
		return nil, fmt.Errorf("iptables: %w", err)
	}
	restore, err := exec.LookPath(command + "-restore")
	if err != nil {
		return nil, fmt.Errorf("iptables-restore for %s: %w", command, err)
	}
	cfg.RandomFully = cfg.RandomFully || ipt.HasRandomFully()
	return &Syncer{Config: cfg, ipt: ipt, restore: restore}, nil
}

// DetectCommand picks iptables-nft or iptables-legacy the way upstream's
// iptables wrapper does: the one that already holds more Kubernetes rules
// (the kubelet's or an earlier proxy's), else the host's default iptables.
func DetectCommand() string {
	count := func(cmd string) int {
		if _, err := exec.LookPath(cmd + "-save"); err != nil {
			return -1
		}
		out, err := exec.Command(cmd + "-save").Output()
		if err != nil {
			return -1
		}
		return strings.Count(string(out), "KUBE-")
	}
	nft, legacy := count("iptables-nft"), count("iptables-legacy")
	switch {
	case legacy > 0 && legacy > nft:
		return "iptables-legacy"
	case nft > 0 && nft >= legacy:
		return "iptables-nft"
	}
	return "iptables"
}

// Backend names the command in use, for logs.
func (s *Syncer) Backend() string { return filepath.Base(s.restore) }

// EnsureJumps creates the fixed chains and the jumps into them, leaving
// alone any that exist.
func (s *Syncer) EnsureJumps() error {
	for table, chains := range fixedChains {
		for _, c := range chains {
			exists, err := s.ipt.ChainExists(table, c)
			if err != nil {
				return err
			}
			if !exists {
				if err := s.ipt.NewChain(table, c); err != nil {
					return fmt.Errorf("create %s chain %s: %w", table, c, err)
				}
			}
		}
	}
	for _, j := range jumps {
		if err := s.ipt.InsertUnique(j.table, j.chain, 1, j.rule()...); err != nil {
			return fmt.Errorf("%s %s → %s: %w", j.table, j.chain, j.target, err)
		}
	}
	return nil
}

// Sync writes the tables for snap in one iptables-restore --noflush: our
// chains are replaced whole, everything else on the host is untouched, and
// a rejected input changes nothing. With changed non-nil it is a partial
// sync: only those services' own chains are rewritten.
func (s *Syncer) Sync(snap *state.Snapshot, changed map[types.NamespacedName]bool) (*Tables, error) {
	existing := s.chains
	if changed == nil || existing == nil {
		var err error
		if existing, err = s.ipt.ListChains("nat"); err != nil {
			return nil, fmt.Errorf("list nat chains: %w", err)
		}
		changed = nil
	}
	var (
		local []net.IP
		err   error
	)
	if len(s.Config.NodePortAddresses) > 0 {
		if local, err = localAddresses(); err != nil {
			return nil, err
		}
	}
	started := time.Now()
	tables := RenderPartial(s.Config, snap, existing, local, changed)
	rendered := time.Now()
	defer func() {
		klog.V(4).InfoS("iptables-restore", "render", rendered.Sub(started), "restore", time.Since(rendered), "bytes", len(tables.Data))
	}()
	if err := s.apply(tables.Data); err != nil {
		// What the kernel holds is unknown now: the next sync lists it.
		s.chains = nil
		return nil, err
	}
	s.chains = tables.NATChains
	return tables, nil
}

func (s *Syncer) apply(data []byte) error {
	cmd := exec.Command(s.restore, "--noflush", "--wait=5")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(s.restore), err, bytes.TrimSpace(out))
	}
	return nil
}

// Cleanup removes every jump and chain a proxy made (upstream's
// kube-proxy --cleanup, for this layout).
func (s *Syncer) Cleanup() error {
	var errs []string
	for _, j := range jumps {
		if err := s.ipt.DeleteIfExists(j.table, j.chain, j.rule()...); err != nil {
			errs = append(errs, err.Error())
		}
	}
	var data bytes.Buffer
	for _, table := range []string{"filter", "nat"} {
		present, err := s.ipt.ListChains(table)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		var ours []string
		for _, c := range present {
			if slices.Contains(fixedChains[table], c) || (table == "nat" && hasPerServicePrefix(c)) {
				ours = append(ours, c)
			}
		}
		if len(ours) == 0 {
			continue
		}
		fmt.Fprintf(&data, "*%s\n", table)
		for _, c := range ours {
			fmt.Fprintf(&data, ":%s - [0:0]\n", c)
		}
		for _, c := range ours {
			fmt.Fprintf(&data, "-X %s\n", c)
		}
		data.WriteString("COMMIT\n")
	}
	if data.Len() > 0 {
		if err := s.apply(data.Bytes()); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("cleanup: %s", strings.Join(errs, "; "))
	}
	return nil
}

// localAddresses are the IPv4 addresses of the node's interfaces.
func localAddresses() ([]net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			ips = append(ips, n.IP.To4())
		}
	}
	return ips, nil
}
