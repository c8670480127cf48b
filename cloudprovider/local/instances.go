package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

// instances are the nodes' network namespaces, pinned under NetNSDir as
// <prefix><node name>: a node whose namespace is gone no longer exists in
// this cloud, and the cloud node lifecycle controller deletes it.
type instances struct {
	prefix string
}

var _ cloudprovider.InstancesV2 = &instances{}

// ProviderIDPrefix starts the local cloud's provider IDs.
const ProviderIDPrefix = "local://"

func (i *instances) path(node *corev1.Node) string {
	return filepath.Join(NetNSDir, i.prefix+node.Name)
}

// InstanceExists says whether the node's namespace is pinned.
func (i *instances) InstanceExists(_ context.Context, node *corev1.Node) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(i.path(node), &st); err != nil {
		if os.IsNotExist(err) {
			return false, nil
		}
		return false, err
	}
	return st.Type == unix.NSFS_MAGIC, nil
}

// InstanceShutdown is false: a namespace that exists is running.
func (i *instances) InstanceShutdown(context.Context, *corev1.Node) (bool, error) { return false, nil }

// InstanceMetadata names the node's namespace and its address on the bridge.
func (i *instances) InstanceMetadata(_ context.Context, node *corev1.Node) (*cloudprovider.InstanceMetadata, error) {
	ns, err := netns.GetFromPath(i.path(node))
	if err != nil {
		return nil, fmt.Errorf("the namespace of node %s: %w", node.Name, err)
	}
	defer ns.Close()
	handle, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, err
	}
	defer handle.Close()
	addresses := []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: node.Name}}
	if link, err := handle.LinkByName("eth0"); err == nil {
		addrs, _ := handle.AddrList(link, netlink.FAMILY_V4)
		for _, a := range addrs {
			addresses = append(addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a.IP.String()})
		}
	}
	return &cloudprovider.InstanceMetadata{ProviderID: ProviderIDPrefix + node.Name, InstanceType: "netns",
		NodeAddresses: addresses, Zone: "local", Region: "local"}, nil
}
