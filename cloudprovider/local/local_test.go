package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"
)

// inNewNetNS runs fn on a thread in a network namespace of its own, so
// that the test's bridge and routes touch nothing of the host's.
func inNewNetNS(t *testing.T, fn func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes a network namespace with a bridge and routes (runs in CI as root)")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		fn()
	}()
	<-done
}

func TestRoutesFollowTheRouteController(t *testing.T) {
	inNewNetNS(t, func() {
		bridge := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "kyb-test"}}
		if err := netlink.LinkAdd(bridge); err != nil {
			t.Error(err)
			return
		}
		_, cidr, _ := net.ParseCIDR("10.9.0.1/24")
		if err := netlink.AddrAdd(bridge, &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("10.9.0.1"), Mask: cidr.Mask}}); err != nil {
			t.Error(err)
			return
		}
		if err := netlink.LinkSetUp(bridge); err != nil {
			t.Error(err)
			return
		}
		cloud, err := New(Config{Bridge: "kyb-test", StateDir: t.TempDir()})
		if err != nil {
			t.Error(err)
			return
		}
		routes, _ := cloud.Routes()
		ctx := context.Background()
		route := &cloudprovider.Route{TargetNode: "node-0", DestinationCIDR: "10.244.0.0/24",
			TargetNodeAddresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "node-0"}, {Type: corev1.NodeInternalIP, Address: "10.9.0.2"}}}
		if err := routes.CreateRoute(ctx, "c1", "uid-0", route); err != nil {
			t.Errorf("CreateRoute: %v", err)
			return
		}
		list, err := routes.ListRoutes(ctx, "c1")
		if err != nil || len(list) != 1 || list[0].TargetNode != "node-0" || list[0].DestinationCIDR != "10.244.0.0/24" || list[0].Name != "c1-uid-0" {
			t.Errorf("ListRoutes = %+v, %v", list, err)
		}
		kernel, _ := netlink.RouteGet(net.ParseIP("10.244.0.7"))
		if len(kernel) != 1 || !kernel[0].Gw.Equal(net.ParseIP("10.9.0.2")) {
			t.Errorf("the kernel routes 10.244.0.7 as %+v, want via 10.9.0.2", kernel)
		}
		if other, _ := routes.ListRoutes(ctx, "c2"); len(other) != 0 {
			t.Errorf("another cluster's routes: %+v", other)
		}

		// A node without an internal IPv4 address gets no route.
		bad := &cloudprovider.Route{TargetNode: "node-1", DestinationCIDR: "10.244.1.0/24"}
		if err := routes.CreateRoute(ctx, "c1", "uid-1", bad); err == nil {
			t.Errorf("CreateRoute without an address succeeded")
		}

		// A route the kernel lost is not listed, so that the controller
		// makes it again.
		_, dst, _ := net.ParseCIDR("10.244.0.0/24")
		if err := netlink.RouteDel(&netlink.Route{Dst: dst, Gw: net.ParseIP("10.9.0.2")}); err != nil {
			t.Error(err)
		}
		if list, _ := routes.ListRoutes(ctx, "c1"); len(list) != 0 {
			t.Errorf("a lost route is listed: %+v", list)
		}
		if err := routes.CreateRoute(ctx, "c1", "uid-0", route); err != nil {
			t.Error(err)
		}
		if err := routes.DeleteRoute(ctx, "c1", route); err != nil {
			t.Errorf("DeleteRoute: %v", err)
		}
		if list, _ := routes.ListRoutes(ctx, "c1"); len(list) != 0 {
			t.Errorf("routes after delete: %+v", list)
		}
		if kernel, _ := netlink.RouteGet(net.ParseIP("10.244.0.7")); len(kernel) > 0 && kernel[0].Gw != nil {
			t.Errorf("the kernel still routes 10.244.0.7: %+v", kernel)
		}
		// Deleting again is no error.
		if err := routes.DeleteRoute(ctx, "c1", route); err != nil {
			t.Errorf("DeleteRoute again: %v", err)
		}
		data, _ := os.ReadFile(filepath.Join(cloud.config.StateDir, "routes.json"))
		if string(data) != "[]" {
			t.Errorf("routes.json after delete: %s", data)
		}
	})
}

func TestLoadBalancersGetAddressesRoutedToTheNodes(t *testing.T) {
	inNewNetNS(t, func() {
		bridge := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "kyb-test"}}
		if err := netlink.LinkAdd(bridge); err != nil {
			t.Error(err)
			return
		}
		if err := netlink.AddrAdd(bridge, &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("10.9.0.1"), Mask: net.CIDRMask(24, 32)}}); err != nil {
			t.Error(err)
			return
		}
		if err := netlink.LinkSetUp(bridge); err != nil {
			t.Error(err)
			return
		}
		cloud, err := New(Config{Bridge: "kyb-test", StateDir: t.TempDir(), LoadBalancerCIDR: "10.9.1.0/30"})
		if err != nil {
			t.Error(err)
			return
		}
		lbs, ok := cloud.LoadBalancer()
		if !ok {
			t.Error("no load balancers with a pool")
			return
		}
		ctx := context.Background()
		node := func(name, ip string) *corev1.Node {
			return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}}}
		}
		nodes := []*corev1.Node{node("node-0", "10.9.0.2"), node("node-1", "10.9.0.3")}
		svc := func(name, wanted string) *corev1.Service {
			return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: "uid-" + types.UID(name)}, Spec: corev1.ServiceSpec{LoadBalancerIP: wanted}}
		}
		web, db := svc("web", ""), svc("db", "10.9.1.2")
		st, err := lbs.EnsureLoadBalancer(ctx, "c1", web, nodes)
		if err != nil || st.Ingress[0].IP != "10.9.1.1" || *st.Ingress[0].IPMode != corev1.LoadBalancerIPModeVIP {
			t.Errorf("web: %+v, %v", st, err)
		}
		// The same address again; the route spreads over both nodes.
		if st, _ := lbs.EnsureLoadBalancer(ctx, "c1", web, nodes); st == nil || st.Ingress[0].IP != "10.9.1.1" {
			t.Errorf("web again: %+v", st)
		}
		routes, _ := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: &net.IPNet{IP: net.ParseIP("10.9.1.1").To4(), Mask: net.CIDRMask(32, 32)}}, netlink.RT_FILTER_DST)
		if len(routes) != 1 || len(routes[0].MultiPath) != 2 {
			t.Errorf("the route of 10.9.1.1: %+v", routes)
		}
		if st, err := lbs.EnsureLoadBalancer(ctx, "c1", db, nodes[:1]); err != nil || st.Ingress[0].IP != "10.9.1.2" {
			t.Errorf("db with loadBalancerIP 10.9.1.2: %+v, %v", st, err)
		}
		if _, err := lbs.EnsureLoadBalancer(ctx, "c1", svc("full", ""), nodes); err == nil || !strings.Contains(err.Error(), "no free address") {
			t.Errorf("a third Service in a /30: %v", err)
		}
		if _, err := lbs.EnsureLoadBalancer(ctx, "c1", svc("outside", "192.0.2.1"), nodes); err == nil || !strings.Contains(err.Error(), "not in the load balancer network") {
			t.Errorf("loadBalancerIP outside the pool: %v", err)
		}
		if st, exists, err := lbs.GetLoadBalancer(ctx, "c1", db); err != nil || !exists || st.Ingress[0].IP != "10.9.1.2" {
			t.Errorf("GetLoadBalancer db: %+v %v %v", st, exists, err)
		}
		if err := lbs.EnsureLoadBalancerDeleted(ctx, "c1", web); err != nil {
			t.Error(err)
		}
		if _, exists, _ := lbs.GetLoadBalancer(ctx, "c1", web); exists {
			t.Error("web still has a load balancer")
		}
		if routes, _ := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: &net.IPNet{IP: net.ParseIP("10.9.1.1").To4(), Mask: net.CIDRMask(32, 32)}}, netlink.RT_FILTER_DST); len(routes) != 0 {
			t.Errorf("the route of a deleted load balancer: %+v", routes)
		}
		// Its address is free again.
		if st, _ := lbs.EnsureLoadBalancer(ctx, "c1", svc("next", ""), nodes); st == nil || st.Ingress[0].IP != "10.9.1.1" {
			t.Errorf("next: %+v", st)
		}
	})
}

func TestInstancesAreTheNodesNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: pins a network namespace (runs in CI as root)")
	}
	prefix := fmt.Sprintf("kyb-test%d-", os.Getpid())
	m := Machine{Name: prefix + "node-0"}
	ns, err := newNamedNetNS(m.Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = DeleteMachine(m.Name) })
	inNS := func() error {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return err
		}
		eth0 := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "eth1"}
		if err := netlink.LinkAdd(eth0); err != nil {
			return err
		}
		if err := netlink.AddrAdd(eth0, &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("10.9.0.2"), Mask: net.CIDRMask(24, 32)}}); err != nil {
			return err
		}
		return netlink.LinkSetUp(lo)
	}
	ns.Close()
	if err := In(m.NetNSPath(), inNS); err != nil {
		t.Fatal(err)
	}
	cloud, err := New(Config{Bridge: "kyb-test", StateDir: t.TempDir(), NodeNetNSPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	inst, ok := cloud.InstancesV2()
	if !ok {
		t.Fatal("no instances with a namespace prefix")
	}
	ctx := context.Background()
	node0 := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-0"}}
	gone := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-9"}}
	if exists, err := inst.InstanceExists(ctx, node0); !exists || err != nil {
		t.Errorf("node-0 exists: %v, %v", exists, err)
	}
	if exists, err := inst.InstanceExists(ctx, gone); exists || err != nil {
		t.Errorf("node-9 exists: %v, %v", exists, err)
	}
	md, err := inst.InstanceMetadata(ctx, node0)
	if err != nil || md.ProviderID != "local://node-0" || len(md.NodeAddresses) != 2 || md.NodeAddresses[1].Address != "10.9.0.2" {
		t.Errorf("metadata: %+v, %v", md, err)
	}
	// A pin left as a plain file (the host rebooted) is no instance.
	if err := DeleteMachine(m.Name); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.NetNSPath(), nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if exists, _ := inst.InstanceExists(ctx, node0); exists {
		t.Error("an unmounted pin counts as an instance")
	}
}
