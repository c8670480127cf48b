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
	n := int(made.Add(1))
	pid := os.Getpid()
	block := (pid%64)*1024 + n*4 // the /30 within 10.199.0.0/16
	host := net.IPv4(10, 199, byte(block>>8), byte(block&0xff+1))
	peer := net.IPv4(10, 199, byte(block>>8), byte(block&0xff+2))
	ns := &Namespace{Name: fmt.Sprintf("kyb-test-%d-%d", pid, n), HostIP: host, PeerIP: peer}
	hostLink := fmt.Sprintf("kt%dh%d", pid%100000, n)
	peerLink := fmt.Sprintf("kt%dp%d", pid%100000, n)

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

// Listen opens a listener inside the namespace, on the namespace's address
// when address has no host ("":port). The socket stays in the namespace for
// its life, whichever goroutine then accepts on it.
func (ns *Namespace) Listen(t testing.TB, address string) net.Listener {
	t.Helper()
	if strings.HasPrefix(address, ":") {
		address = ns.PeerIP.String() + address
	}
	var (
		l   net.Listener
		err error
	)
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
		l, err = net.Listen("tcp", address)
	}()
	<-done
	if err != nil {
		t.Fatalf("listen on %s in %s: %v", address, ns.Name, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}
