package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"
)

// routeTable is the cloud's route table: a record per route (the kernel
// has no place for the target node's name) and the kernel route itself,
// on the host, through the node's address on the bridge.
type routeTable struct {
	bridge string
	file   string
	mu     sync.Mutex
}

// routeRecord is one route as the provider remembers it.
type routeRecord struct {
	Cluster         string `json:"cluster"`
	Name            string `json:"name"`
	TargetNode      string `json:"targetNode"`
	DestinationCIDR string `json:"destinationCIDR"`
	Gateway         string `json:"gateway"`
}

var _ cloudprovider.Routes = &routeTable{}

// ListRoutes lists the cluster's routes that the kernel still has: one
// lost (the bridge made again, the host rebooted) is left out, so that
// the route controller creates it again.
func (t *routeTable) ListRoutes(_ context.Context, clusterName string) ([]*cloudprovider.Route, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	records, err := t.load()
	if err != nil {
		return nil, err
	}
	var routes []*cloudprovider.Route
	for _, r := range records {
		if r.Cluster != clusterName {
			continue
		}
		present, err := t.present(r)
		if err != nil {
			return nil, err
		}
		if !present {
			continue
		}
		routes = append(routes, &cloudprovider.Route{Name: r.Name, TargetNode: types.NodeName(r.TargetNode),
			DestinationCIDR: r.DestinationCIDR, EnableNodeAddresses: true,
			TargetNodeAddresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: r.Gateway}}})
	}
	return routes, nil
}

// CreateRoute routes the CIDR to the node's internal address.
func (t *routeTable) CreateRoute(_ context.Context, clusterName, nameHint string, route *cloudprovider.Route) error {
	gateway := internalIP(route.TargetNodeAddresses)
	if gateway == nil {
		return fmt.Errorf("node %s has no IPv4 internal address to route %s to", route.TargetNode, route.DestinationCIDR)
	}
	_, dst, err := net.ParseCIDR(route.DestinationCIDR)
	if err != nil {
		return err
	}
	link, err := netlink.LinkByName(t.bridge)
	if err != nil {
		return fmt.Errorf("the nodes' bridge %s: %w", t.bridge, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := netlink.RouteReplace(&netlink.Route{LinkIndex: link.Attrs().Index, Dst: dst, Gw: gateway}); err != nil {
		return fmt.Errorf("routing %s via %s: %w", dst, gateway, err)
	}
	records, err := t.load()
	if err != nil {
		return err
	}
	records = removeRecord(records, clusterName, route.DestinationCIDR)
	records = append(records, routeRecord{Cluster: clusterName, Name: clusterName + "-" + nameHint, TargetNode: string(route.TargetNode),
		DestinationCIDR: dst.String(), Gateway: gateway.String()})
	return t.save(records)
}

// DeleteRoute removes the route; one already gone is not an error.
func (t *routeTable) DeleteRoute(_ context.Context, clusterName string, route *cloudprovider.Route) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	records, err := t.load()
	if err != nil {
		return err
	}
	_, dst, err := net.ParseCIDR(route.DestinationCIDR)
	if err != nil {
		return err
	}
	for _, r := range records {
		if r.Cluster == clusterName && r.DestinationCIDR == dst.String() {
			err := netlink.RouteDel(&netlink.Route{Dst: dst, Gw: net.ParseIP(r.Gateway)})
			if err != nil && !errors.Is(err, os.ErrNotExist) && !isNoSuchProcess(err) {
				return fmt.Errorf("deleting the route to %s: %w", dst, err)
			}
		}
	}
	return t.save(removeRecord(records, clusterName, dst.String()))
}

// present says whether the kernel has the record's route.
func (t *routeTable) present(r routeRecord) (bool, error) {
	_, dst, err := net.ParseCIDR(r.DestinationCIDR)
	if err != nil {
		return false, nil
	}
	link, err := netlink.LinkByName(t.bridge)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return false, nil
		}
		return false, err
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: dst, LinkIndex: link.Attrs().Index},
		netlink.RT_FILTER_DST|netlink.RT_FILTER_OIF)
	if err != nil {
		return false, err
	}
	gateway := net.ParseIP(r.Gateway)
	for _, route := range routes {
		if route.Gw.Equal(gateway) {
			return true, nil
		}
	}
	return false, nil
}

func (t *routeTable) load() ([]routeRecord, error) {
	var records []routeRecord
	return records, loadJSON(t.file, &records)
}

func (t *routeTable) save(records []routeRecord) error { return saveJSON(t.file, records) }

// saveJSON replaces a record file atomically.
func saveJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func removeRecord(records []routeRecord, cluster, cidr string) []routeRecord {
	out := records[:0:0]
	for _, r := range records {
		if r.Cluster != cluster || r.DestinationCIDR != cidr {
			out = append(out, r)
		}
	}
	return out
}

// internalIP is the first IPv4 InternalIP of addresses.
func internalIP(addresses []corev1.NodeAddress) net.IP {
	for _, a := range addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip := net.ParseIP(a.Address).To4(); ip != nil {
			return ip
		}
	}
	return nil
}

// isNoSuchProcess is the kernel's answer (ESRCH) for a route that is not there.
func isNoSuchProcess(err error) bool { return errors.Is(err, unix.ESRCH) }
