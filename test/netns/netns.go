// Package netns gives a test a network namespace of its own, joined to the
// host's by a veth pair, so that the test can serve on a global unicast
// address without touching any address outside what it made. Everything is
// removed when the test ends, pass or fail. It needs root and iproute2's ip.
package netns

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Namespace is a named network namespace with one veth link to the host.
type Namespace struct {
	// Name is the namespace's name under /var/run/netns (ip netns).
	Name string
	// HostIP is the host's end of the link, PeerIP the namespace's; both are
	// in a /30 of their own.
	HostIP, PeerIP net.IP
}

var made atomic.Int32

// RequireRoot skips the test unless it can create network namespaces.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and veth links (runs in CI as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip command")
	}
}

// New makes a namespace linked to the host, or skips the test when not root.
// Addresses come from 10.199.0.0/16, one /30 per namespace, chosen from the
// process ID so that test binaries running side by side do not collide.
func New(t testing.TB) *Namespace {
	t.Helper()
	RequireRoot(t)
	ns, hostLink, peerLink := allocate()
	host, peer := ns.HostIP, ns.PeerIP

	t.Cleanup(func() {
		// Deleting the namespace deletes its veth end, and with it the pair.
		_ = exec.Command("ip", "netns", "del", ns.Name).Run()
		_ = exec.Command("ip", "link", "del", hostLink).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", ns.Name},
		{"link", "add", hostLink, "type", "veth", "peer", "name", peerLink, "netns", ns.Name},
		{"addr", "add", host.String() + "/30", "dev", hostLink},
		{"link", "set", hostLink, "up"},
		{"-n", ns.Name, "addr", "add", peer.String() + "/30", "dev", peerLink},
		{"-n", ns.Name, "link", "set", peerLink, "up"},
		{"-n", ns.Name, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return ns
}

// Do runs fn on an OS thread inside the namespace. Sockets fn opens stay in
// the namespace for their life, whichever goroutine then uses them.
func (ns *Namespace) Do(fn func() error) error {
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The thread is left in the namespace and never unlocked, so the
		// runtime ends it with this goroutine instead of reusing it.
		runtime.LockOSThread()
		f, openErr := os.Open("/var/run/netns/" + ns.Name)
		if openErr != nil {
			err = openErr
			return
		}
		defer f.Close()
		if err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			return
		}
		err = fn()
	}()
	<-done
	return err
}

// Listen opens a listener inside the namespace, on the namespace's address
// when address has no host ("":port).
func (ns *Namespace) Listen(t testing.TB, address string) net.Listener {
	t.Helper()
	if strings.HasPrefix(address, ":") {
		address = ns.PeerIP.String() + address
	}
	var l net.Listener
	err := ns.Do(func() (err error) {
		l, err = net.Listen("tcp", address)
		return err
	})
	if err != nil {
		t.Fatalf("listen on %s in %s: %v", address, ns.Name, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// Dial connects from inside the namespace.
func (ns *Namespace) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() (err error) {
		c, err = net.DialTimeout(network, address, timeout)
		return err
	})
	return c, err
}

// Run runs a command inside the namespace and returns its combined output.
func (ns *Namespace) Run(name string, args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...).CombinedOutput()
	return string(out), err
}

// Command is exec.Command for a process inside the namespace.
func (ns *Namespace) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// NewChild makes a namespace linked to ns instead of the host, with its
// default route through ns (the way a pod hangs off its node), and turns on
// forwarding in ns. HostIP is then ns's end of the link.
func (ns *Namespace) NewChild(t testing.TB) *Namespace {
	t.Helper()
	child, hostLink, peerLink := allocate()
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", child.Name).Run() })
	for _, args := range [][]string{
		{"netns", "add", child.Name},
		{"-n", ns.Name, "link", "add", hostLink, "type", "veth", "peer", "name", peerLink, "netns", child.Name},
		{"-n", ns.Name, "addr", "add", child.HostIP.String() + "/30", "dev", hostLink},
		{"-n", ns.Name, "link", "set", hostLink, "up"},
		{"-n", child.Name, "addr", "add", child.PeerIP.String() + "/30", "dev", peerLink},
		{"-n", child.Name, "link", "set", peerLink, "up"},
		{"-n", child.Name, "link", "set", "lo", "up"},
		{"-n", child.Name, "route", "add", "default", "via", child.HostIP.String()},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	if out, err := ns.Run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"); err != nil {
		t.Fatalf("forwarding in %s: %v: %s", ns.Name, err, out)
	}
	return child
}

// allocate names a new namespace and its links and picks its /30 from
// 10.199.0.0/16 by process ID, so that test binaries running side by side
// do not collide.
func allocate() (ns *Namespace, hostLink, peerLink string) {
	n := int(made.Add(1))
	pid := os.Getpid()
	block := (pid%64)*1024 + n*4 // the /30 within 10.199.0.0/16
	ns = &Namespace{
		Name:   fmt.Sprintf("kyb-test-%d-%d", pid, n),
		HostIP: net.IPv4(10, 199, byte(block>>8), byte(block&0xff+1)),
		PeerIP: net.IPv4(10, 199, byte(block>>8), byte(block&0xff+2)),
	}
	return ns, fmt.Sprintf("kt%dh%d", pid%100000, n), fmt.Sprintf("kt%dp%d", pid%100000, n)
}
