package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"sync"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

// loadBalancers hands out addresses of a pool to LoadBalancer Services and
// routes each, on the host, to the nodes (one route with a next hop per
// node: the kernel spreads connections over them). On a node, the proxy
// takes the address as any load balancer's: to the Service's endpoints.
type loadBalancers struct {
	bridge string
	pool   *net.IPNet
	file   string
	mu     sync.Mutex
}

// balancer is one Service's address, as the provider remembers it.
type balancer struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
	IP        string `json:"ip"`
}

var _ cloudprovider.LoadBalancer = &loadBalancers{}

func (l *loadBalancers) find(list []balancer, cluster string, svc *corev1.Service) int {
	for i, b := range list {
		if b.Cluster == cluster && b.Namespace == svc.Namespace && b.Name == svc.Name {
			return i
		}
	}
	return -1
}

func status(ip string) *corev1.LoadBalancerStatus {
	vip := corev1.LoadBalancerIPModeVIP
	return &corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: ip, IPMode: &vip}}}
}

// GetLoadBalancer reports the Service's address if it has one.
func (l *loadBalancers) GetLoadBalancer(_ context.Context, clusterName string, svc *corev1.Service) (*corev1.LoadBalancerStatus, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list, err := l.load()
	if err != nil {
		return nil, false, err
	}
	if i := l.find(list, clusterName, svc); i >= 0 {
		return status(list[i].IP), true, nil
	}
	return nil, false, nil
}

// GetLoadBalancerName is upstream's default name for the Service.
func (l *loadBalancers) GetLoadBalancerName(_ context.Context, _ string, svc *corev1.Service) string {
	return cloudprovider.DefaultLoadBalancerName(svc)
}

// EnsureLoadBalancer gives the Service an address (the one it has, else
// spec.loadBalancerIP when free and in the pool, else the lowest free
// one) and routes it to the nodes.
func (l *loadBalancers) EnsureLoadBalancer(_ context.Context, clusterName string, svc *corev1.Service, nodes []*corev1.Node) (*corev1.LoadBalancerStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list, err := l.load()
	if err != nil {
		return nil, err
	}
	i := l.find(list, clusterName, svc)
	if i < 0 {
		ip, err := l.allocate(list, svc.Spec.LoadBalancerIP)
		if err != nil {
			return nil, err
		}
		list = append(list, balancer{Cluster: clusterName, Namespace: svc.Namespace, Name: svc.Name, UID: string(svc.UID), IP: ip})
		i = len(list) - 1
		if err := l.save(list); err != nil {
			return nil, err
		}
	}
	if err := l.route(list[i].IP, nodes); err != nil {
		return nil, err
	}
	return status(list[i].IP), nil
}

// UpdateLoadBalancer routes the Service's address to the nodes as they are now.
func (l *loadBalancers) UpdateLoadBalancer(ctx context.Context, clusterName string, svc *corev1.Service, nodes []*corev1.Node) error {
	_, err := l.EnsureLoadBalancer(ctx, clusterName, svc, nodes)
	return err
}

// EnsureLoadBalancerDeleted removes the route and frees the address.
func (l *loadBalancers) EnsureLoadBalancerDeleted(_ context.Context, clusterName string, svc *corev1.Service) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	list, err := l.load()
	if err != nil {
		return err
	}
	i := l.find(list, clusterName, svc)
	if i < 0 {
		return nil
	}
	if err := l.unroute(list[i].IP); err != nil {
		return err
	}
	return l.save(append(list[:i], list[i+1:]...))
}

// allocate picks an address of the pool no balancer holds.
func (l *loadBalancers) allocate(list []balancer, wanted string) (string, error) {
	used := map[string]bool{}
	for _, b := range list {
		used[b.IP] = true
	}
	if wanted != "" {
		ip := net.ParseIP(wanted)
		if ip == nil || !l.pool.Contains(ip) {
			return "", fmt.Errorf("spec.loadBalancerIP %s is not in the load balancer network %s", wanted, l.pool)
		}
		if used[ip.String()] {
			return "", fmt.Errorf("spec.loadBalancerIP %s is another Service's", wanted)
		}
		return ip.String(), nil
	}
	ones, bits := l.pool.Mask.Size()
	for n := 1; n < 1<<(bits-ones)-1; n++ { // not the network's nor the broadcast address
		ip := nth(l.pool, n).String()
		if !used[ip] {
			return ip, nil
		}
	}
	return "", fmt.Errorf("the load balancer network %s has no free address", l.pool)
}

// route points ip at the nodes' internal addresses (none: no route).
func (l *loadBalancers) route(ip string, nodes []*corev1.Node) error {
	link, err := netlink.LinkByName(l.bridge)
	if err != nil {
		return fmt.Errorf("the nodes' bridge %s: %w", l.bridge, err)
	}
	var gateways []string
	for _, n := range nodes {
		if gw := internalIP(n.Status.Addresses); gw != nil {
			gateways = append(gateways, gw.String())
		}
	}
	if len(gateways) == 0 {
		return l.unroute(ip)
	}
	sort.Strings(gateways) // the same nodes give the same route
	dst := &net.IPNet{IP: net.ParseIP(ip).To4(), Mask: net.CIDRMask(32, 32)}
	route := &netlink.Route{Dst: dst}
	if len(gateways) == 1 {
		route.LinkIndex, route.Gw = link.Attrs().Index, net.ParseIP(gateways[0])
	} else {
		for _, gw := range gateways {
			route.MultiPath = append(route.MultiPath, &netlink.NexthopInfo{LinkIndex: link.Attrs().Index, Gw: net.ParseIP(gw)})
		}
	}
	if err := netlink.RouteReplace(route); err != nil {
		return fmt.Errorf("routing the load balancer address %s to %v: %w", ip, gateways, err)
	}
	return nil
}

func (l *loadBalancers) unroute(ip string) error {
	dst := &net.IPNet{IP: net.ParseIP(ip).To4(), Mask: net.CIDRMask(32, 32)}
	err := netlink.RouteDel(&netlink.Route{Dst: dst})
	if err != nil && !errors.Is(err, os.ErrNotExist) && !isNoSuchProcess(err) {
		return fmt.Errorf("removing the route of %s: %w", ip, err)
	}
	return nil
}

func (l *loadBalancers) load() ([]balancer, error) {
	var list []balancer
	return list, loadJSON(l.file, &list)
}

func (l *loadBalancers) save(list []balancer) error { return saveJSON(l.file, list) }

// nth is the n-th address of a network.
func nth(n *net.IPNet, i int) net.IP {
	ip := make(net.IP, 4)
	copy(ip, n.IP.To4())
	v := uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
	v += uint32(i)
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).To4()
}

// loadJSON reads a record file; a missing one is empty.
func loadJSON(path string, into any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
