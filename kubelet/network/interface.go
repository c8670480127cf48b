package network

import (
	"context"
	"net"
)

// Interface is what the pod manager asks of pod networking: CNI for real
// nodes, Fake for hollow ones.
type Interface interface {
	// Check reports why pods cannot be networked (the NetworkReady reason).
	Check() error
	// Setup gives the pod its network and returns its IP.
	Setup(ctx context.Context, p Pod, podCIDR string) (net.IP, error)
	// Teardown takes it away again; it is safe to call twice.
	Teardown(ctx context.Context, p Pod, podCIDR string) error
	// Sandboxes are the IDs of the pod networks the node holds.
	Sandboxes() []string
	// NetNSPath is the pod's network namespace, for its containers.
	NetNSPath(p Pod) string
	// Lost says whether the pod's network is gone from the node (the host
	// rebooted, or `kybernetes down` reset it): its namespace has to be
	// made again.
	Lost(p Pod) bool
}

var _ Interface = (*CNI)(nil)
