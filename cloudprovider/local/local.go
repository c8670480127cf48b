// Package local is a cloud provider for clusters on one machine, as
// `kybernetes up` makes them: the machine is the cloud, its network
// namespaces are the instances and a bridge on the host is the network
// between them (the cloud's VPC). It implements k8s.io/cloud-provider's
// Interface, so the controller manager drives it with upstream's route
// controller, the way a cloud-controller-manager drives a real cloud.
//
// Routes are the host's routes to each node's pod CIDR through that
// node's address on the bridge; load balancers are addresses of a pool,
// routed from the host to the nodes.
package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"

	cloudprovider "k8s.io/cloud-provider"
)

// ProviderName is the --cloud-provider name of this provider.
const ProviderName = "local"

// Config is the --cloud-config file of this provider (JSON).
type Config struct {
	// Bridge is the host's bridge that the nodes' links hang off; routes
	// to pod CIDRs go through it.
	Bridge string `json:"bridge"`
	// StateDir keeps the provider's own records (the route table's names,
	// the load balancers' addresses).
	StateDir string `json:"stateDir"`
	// NodeNetNSPrefix starts the names of the nodes' network namespaces
	// (<prefix><node name>); empty: no instances.
	NodeNetNSPrefix string `json:"nodeNetNSPrefix,omitempty"`
	// LoadBalancerCIDR is the pool of LoadBalancer Services' addresses;
	// empty: no load balancers.
	LoadBalancerCIDR string `json:"loadBalancerCIDR,omitempty"`
}

func init() {
	cloudprovider.RegisterCloudProvider(ProviderName, func(config io.Reader) (cloudprovider.Interface, error) {
		if config == nil {
			return nil, errors.New("the local cloud provider needs --cloud-config (kybernetes up writes one)")
		}
		var c Config
		if err := json.NewDecoder(config).Decode(&c); err != nil {
			return nil, fmt.Errorf("the local cloud provider's config: %w", err)
		}
		return New(c)
	})
}

// Cloud is the local provider.
type Cloud struct {
	config        Config
	routes        *routeTable
	loadBalancers *loadBalancers
	instances     *instances
}

// New returns the provider for config.
func New(config Config) (*Cloud, error) {
	if config.Bridge == "" || config.StateDir == "" {
		return nil, errors.New("the local cloud provider's config needs bridge and stateDir")
	}
	c := &Cloud{config: config, routes: &routeTable{bridge: config.Bridge, file: filepath.Join(config.StateDir, "routes.json")}}
	if config.LoadBalancerCIDR != "" {
		_, pool, err := net.ParseCIDR(config.LoadBalancerCIDR)
		if err != nil || pool.IP.To4() == nil {
			return nil, fmt.Errorf("the local cloud provider's loadBalancerCIDR %q: an IPv4 CIDR is needed", config.LoadBalancerCIDR)
		}
		c.loadBalancers = &loadBalancers{bridge: config.Bridge, pool: pool, file: filepath.Join(config.StateDir, "loadbalancers.json")}
	}
	if config.NodeNetNSPrefix != "" {
		c.instances = &instances{prefix: config.NodeNetNSPrefix}
	}
	return c, nil
}

var _ cloudprovider.Interface = &Cloud{}

// Initialize starts nothing: the provider keeps no caches.
func (c *Cloud) Initialize(cloudprovider.ControllerClientBuilder, <-chan struct{}) {}

// LoadBalancer hands out addresses of the pool, routed to the nodes.
func (c *Cloud) LoadBalancer() (cloudprovider.LoadBalancer, bool) {
	if c.loadBalancers == nil {
		return nil, false
	}
	return c.loadBalancers, true
}

// Instances is not offered: InstancesV2 is.
func (c *Cloud) Instances() (cloudprovider.Instances, bool) { return nil, false }

// InstancesV2 are the nodes' network namespaces.
func (c *Cloud) InstancesV2() (cloudprovider.InstancesV2, bool) {
	if c.instances == nil {
		return nil, false
	}
	return c.instances, true
}

// Zones is not offered: one machine is one zone.
func (c *Cloud) Zones() (cloudprovider.Zones, bool) { return nil, false }

// Clusters is not offered.
func (c *Cloud) Clusters() (cloudprovider.Clusters, bool) { return nil, false }

// Routes are the host's routes to the nodes' pod CIDRs.
func (c *Cloud) Routes() (cloudprovider.Routes, bool) { return c.routes, true }

// ProviderName is "local".
func (c *Cloud) ProviderName() string { return ProviderName }

// HasClusterID is true: routes are kept per cluster name.
func (c *Cloud) HasClusterID() bool { return true }
