package network

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A pod network is made and unmade with the real plugins: an address of
// the pod CIDR inside a namespace of its own, and afterwards no namespace,
// no veth, no masquerade rule and no address held.
func TestSetupAndTeardown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and a bridge (runs in CI as root)")
	}
	c := New(DefaultBinDirs, t.TempDir(), "kybtest0")
	if err := c.Check(); err != nil {
		t.Fatalf("%v (apt-get install containernetworking-plugins)", err)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "kybtest0").Run() })
	ctx := context.Background()
	const cidr = "10.250.99.0/24"
	pod := Pod{ID: "kyb-test-pod", Namespace: "ns", Name: "p", UID: "uid"}
	ip, err := c.Setup(ctx, pod, cidr)
	if err != nil {
		t.Fatal(err)
	}
	_, subnet, _ := net.ParseCIDR(cidr)
	if !subnet.Contains(ip) {
		t.Fatalf("pod IP %s not in %s", ip, cidr)
	}
	if _, err := os.Stat(c.NetNSPath(pod)); err != nil {
		t.Fatalf("no namespace pinned: %v", err)
	}
	if ids := c.Sandboxes(); len(ids) != 1 || ids[0] != pod.ID {
		t.Fatalf("sandboxes %v", ids)
	}
	if err := c.Teardown(ctx, pod, cidr); err != nil {
		t.Fatal(err)
	}
	if err := c.Teardown(ctx, pod, cidr); err != nil {
		t.Fatalf("a second teardown: %v", err)
	}
	if _, err := os.Stat(c.NetNSPath(pod)); !os.IsNotExist(err) {
		t.Fatalf("namespace pin left: %v", err)
	}
	if out, _ := exec.Command("iptables", "-t", "nat", "-S").Output(); strings.Contains(string(out), pod.ID) {
		t.Fatalf("masquerade rules left:\n%s", out)
	}
	// The address is free again: the next pod gets one.
	if _, err := c.Setup(ctx, Pod{ID: "kyb-test-pod-2"}, cidr); err != nil {
		t.Fatal(err)
	}
	if err := c.Teardown(ctx, Pod{ID: "kyb-test-pod-2"}, cidr); err != nil {
		t.Fatal(err)
	}
}
