package local

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	goiptables "github.com/coreos/go-iptables/iptables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetNSDir is where named network namespaces are pinned (as `ip netns
// add` does), so that `ip netns exec <node> ...` works on the nodes.
const NetNSDir = "/var/run/netns"

// Network is the cloud's network on the host: a bridge holding the first
// address of CIDR, the nodes (network namespaces) linked to it by veth
// pairs with the following addresses. The host routes between the nodes
// and masquerades what they send elsewhere.
type Network struct {
	Bridge string
	CIDR   *net.IPNet
}

// HostIP is the host's address on the bridge: the nodes' gateway, and
// where they reach the API server.
func (n Network) HostIP() net.IP { return n.nth(1) }

// NodeIP is the address of the i-th node (from 0).
func (n Network) NodeIP(i int) net.IP { return n.nth(2 + i) }

// Size is how many nodes the network has addresses for.
func (n Network) Size() int {
	ones, bits := n.CIDR.Mask.Size()
	return 1<<(bits-ones) - 3 // network, host, broadcast
}

func (n Network) nth(i int) net.IP { return nth(n.CIDR, i) }

// comment marks the host's iptables rules of this network.
func (n Network) comment() string { return "kybernetes up: nodes on " + n.Bridge }

// hostRules are the host's rules for the network: forward to and from the
// bridge (hosts with a FORWARD policy of DROP), masquerade what leaves.
func (n Network) hostRules() [][]string {
	c := []string{"-m", "comment", "--comment", n.comment()}
	return [][]string{
		append([]string{"filter", "FORWARD", "-i", n.Bridge, "-j", "ACCEPT"}, c...),
		append([]string{"filter", "FORWARD", "-o", n.Bridge, "-j", "ACCEPT"}, c...),
		append([]string{"nat", "POSTROUTING", "-s", n.CIDR.String(), "!", "-o", n.Bridge, "-j", "MASQUERADE"}, c...),
	}
}

// Ensure makes the bridge, its address and the host's rules, and turns on
// IPv4 forwarding (left on afterwards, as container engines leave it).
// It is safe to call again.
func (n Network) Ensure() error {
	link, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if !errors.As(err, &notFound) {
			return err
		}
		if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.Bridge}}); err != nil {
			return fmt.Errorf("creating the bridge %s: %w", n.Bridge, err)
		}
		if link, err = netlink.LinkByName(n.Bridge); err != nil {
			return err
		}
	}
	ones, _ := n.CIDR.Mask.Size()
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: n.HostIP(), Mask: net.CIDRMask(ones, 32)}}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("addressing the bridge %s: %w", n.Bridge, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return err
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return fmt.Errorf("turning on IPv4 forwarding: %w", err)
	}
	ipt, err := goiptables.New()
	if err != nil {
		return err
	}
	for _, r := range n.hostRules() {
		if err := ipt.InsertUnique(r[0], r[1], 1, r[2:]...); err != nil {
			return fmt.Errorf("iptables -t %s -I %s: %w", r[0], r[1], err)
		}
	}
	return nil
}

// Delete removes the host's rules and the bridge (and with it every node
// link and every route through it). What is gone already is no error.
func (n Network) Delete() error {
	var errs []error
	if ipt, err := goiptables.New(); err == nil {
		for _, r := range n.hostRules() {
			if err := ipt.DeleteIfExists(r[0], r[1], r[2:]...); err != nil {
				errs = append(errs, err)
			}
		}
	} else {
		errs = append(errs, err)
	}
	if link, err := netlink.LinkByName(n.Bridge); err == nil {
		if err := netlink.LinkDel(link); err != nil {
			errs = append(errs, fmt.Errorf("deleting the bridge %s: %w", n.Bridge, err))
		}
	}
	return errors.Join(errs...)
}

// Machine is one node of the network: a named network namespace with an
// eth0 linked to the bridge (the host's end named HostLink).
type Machine struct {
	Name     string
	HostLink string
	IP       net.IP
	// ClusterCIDR is the pods' range: traffic between pods keeps its
	// source address (the CNI bridge plugin masquerades everything that
	// leaves the node's own pod CIDR otherwise).
	ClusterCIDR string
}

// NetNSPath is where the machine's namespace is pinned.
func (m Machine) NetNSPath() string { return filepath.Join(NetNSDir, m.Name) }

// EnsureMachine makes the machine's namespace and link unless they exist.
func (n Network) EnsureMachine(m Machine) error {
	if _, err := os.Stat(m.NetNSPath()); err == nil {
		if _, err := netlink.LinkByName(m.HostLink); err == nil {
			return nil
		}
		// Half made (an interrupted start): make it again.
		if err := DeleteMachine(m.Name); err != nil {
			return err
		}
	}
	bridge, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		return fmt.Errorf("the bridge %s: %w", n.Bridge, err)
	}
	ns, err := newNamedNetNS(m.Name)
	if err != nil {
		return fmt.Errorf("creating the network namespace %s: %w", m.Name, err)
	}
	defer ns.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: m.HostLink, MasterIndex: bridge.Attrs().Index},
		PeerName: "eth0", PeerNamespace: netlink.NsFd(int(ns))}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("linking %s to %s: %w", m.Name, n.Bridge, err)
	}
	host, err := netlink.LinkByName(m.HostLink)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(host); err != nil {
		return err
	}
	ones, _ := n.CIDR.Mask.Size()
	return In(m.NetNSPath(), func() error {
		for _, name := range []string{"lo", "eth0"} {
			link, err := netlink.LinkByName(name)
			if err != nil {
				return err
			}
			if name == "eth0" {
				if err := netlink.AddrReplace(link, &netlink.Addr{IPNet: &net.IPNet{IP: m.IP, Mask: net.CIDRMask(ones, 32)}}); err != nil {
					return err
				}
			}
			if err := netlink.LinkSetUp(link); err != nil {
				return err
			}
		}
		if err := netlink.RouteReplace(&netlink.Route{Gw: n.HostIP()}); err != nil {
			return fmt.Errorf("default route: %w", err)
		}
		if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
			return err
		}
		ipt, err := goiptables.New()
		if err != nil {
			return err
		}
		// First in POSTROUTING; the proxy puts its own jump above it.
		return ipt.InsertUnique("nat", "POSTROUTING", 1, "-s", m.ClusterCIDR, "-d", m.ClusterCIDR,
			"-m", "comment", "--comment", "kybernetes up: pod to pod keeps its address", "-j", "ACCEPT")
	})
}

// DeleteMachine removes the machine's namespace: its end of the link goes
// with it, and with that the host's end. A missing one is no error.
// A pin left unmounted (the host rebooted) is removed too.
func DeleteMachine(name string) error {
	path := filepath.Join(NetNSDir, name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("deleting the network namespace %s: %w", name, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// newNamedNetNS creates and pins a namespace on a thread of its own,
// which is never unlocked: the runtime ends it with its goroutine instead
// of reusing a thread in another namespace.
func newNamedNetNS(name string) (netns.NsHandle, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.NewNamed(name)
		done <- result{ns, err}
	}()
	r := <-done
	return r.ns, r.err
}

// In runs fn on a thread inside the namespace pinned at path; what fn
// opens (sockets, netlink handles) and starts (processes) lives there.
func In(path string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked, as in newNamedNetNS
		ns, err := netns.GetFromPath(path)
		if err != nil {
			done <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			done <- fmt.Errorf("entering %s: %w", path, err)
			return
		}
		done <- fn()
	}()
	return <-done
}

// StartIn starts cmd inside the namespace pinned at path: forked from a
// thread in it, the process and all it starts live there.
func StartIn(path string, cmd *exec.Cmd) error {
	return In(path, cmd.Start)
}
