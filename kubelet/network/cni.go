// Package network gives each pod its network: a network namespace of its
// own, wired by the standard CNI plugins through libcni — a bridge on the
// node with host-local addresses from the node's pod CIDR (masqueraded
// when leaving it), and loopback — and torn down with nothing left behind
// when the pod goes.
package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	current "github.com/containernetworking/cni/pkg/types/100"
)

// NetworkName is the CNI network of pods.
const NetworkName = "kybernetes"

// DefaultBinDirs are where the CNI plugins are looked for: Debian's
// package, then the upstream default.
var DefaultBinDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// CNI wires pods on one node.
type CNI struct {
	cni      *libcni.CNIConfig
	binDirs  []string
	stateDir string
	bridge   string
}

// New returns pod networking with the plugins in binDirs; state (netns
// pins, the IPAM's allocations, libcni's cache) goes under stateDir.
func New(binDirs []string, stateDir, bridge string) *CNI {
	return &CNI{
		cni:      libcni.NewCNIConfigWithCacheDir(binDirs, filepath.Join(stateDir, "cache"), nil),
		binDirs:  binDirs,
		stateDir: stateDir,
		bridge:   bridge,
	}
}

// Check reports why pods cannot be networked, as the NetworkReady
// condition: a missing plugin.
func (c *CNI) Check() error {
	for _, plugin := range []string{"bridge", "host-local", "loopback", "portmap"} {
		if _, err := invoke.FindInPath(plugin, c.binDirs); err != nil {
			return fmt.Errorf("CNI plugin %s not found in %v: %w", plugin, c.binDirs, err)
		}
	}
	return nil
}

// Pod identifies one pod's sandbox to the plugins.
type Pod struct {
	ID, Namespace, Name, UID string
	// HostPorts are the containers' hostPort mappings, for portmap.
	HostPorts []PortMapping
}

// PortMapping is one hostPort, in the portmap plugin's terms.
type PortMapping struct {
	HostPort      int32  `json:"hostPort"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

func (c *CNI) netnsPath(id string) string { return filepath.Join(c.stateDir, "netns", id) }

// NetNSPath is where a pod's namespace is pinned, for its containers.
func (c *CNI) NetNSPath(p Pod) string { return c.netnsPath(p.ID) }

// Setup makes the pod's namespace and wires it; it returns the pod's IP.
// A namespace left by an earlier, interrupted setup is torn down first.
func (c *CNI) Setup(ctx context.Context, p Pod, podCIDR string) (net.IP, error) {
	if _, err := os.Stat(c.netnsPath(p.ID)); err == nil {
		if err := c.Teardown(ctx, p, podCIDR); err != nil {
			return nil, err
		}
	}
	if err := newNetNS(c.netnsPath(p.ID)); err != nil {
		return nil, err
	}
	lo, pods, err := c.configs(podCIDR)
	if err != nil {
		return nil, err
	}
	if _, err := c.cni.AddNetwork(ctx, lo, c.runtimeConf(p, "lo")); err != nil {
		return nil, fmt.Errorf("loopback: %w", err)
	}
	result, err := c.cni.AddNetworkList(ctx, pods, c.runtimeConf(p, "eth0"))
	if err != nil {
		return nil, err
	}
	res, err := current.NewResultFromResult(result)
	if err != nil {
		return nil, err
	}
	for _, ip := range res.IPs {
		if ip.Address.IP.To4() != nil {
			return ip.Address.IP, nil
		}
	}
	return nil, errors.New("the CNI plugins gave the pod no IPv4 address")
}

// Lost says whether the pod's namespace is no longer pinned: the file of
// a pin outlives a reboot (and a reset), the namespace does not.
func (c *CNI) Lost(p Pod) bool { return !isNetNS(c.netnsPath(p.ID)) }

// Sandboxes are the IDs of the pod namespaces pinned on the node.
func (c *CNI) Sandboxes() []string {
	entries, _ := os.ReadDir(filepath.Join(c.stateDir, "netns"))
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	return ids
}

// Teardown unwires the pod (the veth, its address, its masquerade rule)
// and removes its namespace. It is safe to call again.
func (c *CNI) Teardown(ctx context.Context, p Pod, podCIDR string) error {
	_, pods, err := c.configs(podCIDR)
	if err != nil {
		return err
	}
	path := c.netnsPath(p.ID)
	rt := c.runtimeConf(p, "eth0")
	if !isNetNS(path) {
		rt.NetNS = "" // gone already: the plugins still release the address
	}
	if err := c.cni.DelNetworkList(ctx, pods, rt); err != nil {
		return fmt.Errorf("CNI teardown of %s/%s: %w", p.Namespace, p.Name, err)
	}
	return deleteNetNS(path)
}

func (c *CNI) runtimeConf(p Pod, ifName string) *libcni.RuntimeConf {
	var capabilities map[string]interface{}
	if len(p.HostPorts) > 0 {
		capabilities = map[string]interface{}{"portMappings": p.HostPorts}
	}
	return &libcni.RuntimeConf{
		CapabilityArgs: capabilities,
		ContainerID:    p.ID,
		NetNS:          c.netnsPath(p.ID),
		IfName:         ifName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", p.Namespace},
			{"K8S_POD_NAME", p.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", p.ID},
			{"K8S_POD_UID", p.UID},
		},
	}
}

// configs are the loopback network and the pods' network list for the
// node's pod CIDR.
func (c *CNI) configs(podCIDR string) (*libcni.NetworkConfig, *libcni.NetworkConfigList, error) {
	_, cidr, err := net.ParseCIDR(podCIDR)
	if err != nil {
		return nil, nil, fmt.Errorf("pod CIDR %q: %w", podCIDR, err)
	}
	lo, err := libcni.ConfFromBytes([]byte(`{"cniVersion":"1.0.0","name":"lo","type":"loopback"}`))
	if err != nil {
		return nil, nil, err
	}
	list := map[string]any{
		"cniVersion": "1.0.0",
		"name":       NetworkName,
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": c.bridge, "isGateway": true, "ipMasq": true, "hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": cidr.String()}}},
					"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
					"dataDir": filepath.Join(c.stateDir, "ipam"),
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, err := json.Marshal(list)
	if err != nil {
		return nil, nil, err
	}
	pods, err := libcni.ConfListFromBytes(data)
	return lo, pods, err
}
