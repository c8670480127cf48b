// Package cloudprovider holds the cloud providers built into kybernetes and
// starts the one the controller manager's --cloud-provider names. Each
// provider implements k8s.io/cloud-provider's Interface and registers
// itself with that library by name; a provider of your own plugs in the
// same way (see docs/architecture.md, "A cluster on one machine").
package cloudprovider

import (
	"fmt"
	"io"
	"os"

	cloudprovider "k8s.io/cloud-provider"

	// The built-in providers register themselves.
	_ "github.com/kybernetes/kybernetes/cloudprovider/local"
)

// Init returns the provider called name, configured from the file at
// configPath (none when empty); an empty name means no cloud (nil).
func Init(name, configPath string) (cloudprovider.Interface, error) {
	if name == "" {
		return nil, nil
	}
	if !cloudprovider.IsCloudProvider(name) {
		return nil, fmt.Errorf("--cloud-provider: unknown cloud provider %q", name)
	}
	var config io.Reader
	if configPath != "" {
		f, err := os.Open(configPath)
		if err != nil {
			return nil, fmt.Errorf("--cloud-config: %w", err)
		}
		defer f.Close()
		config = f
	}
	cloud, err := cloudprovider.GetCloudProvider(name, config)
	if err != nil {
		return nil, fmt.Errorf("cloud provider %q: %w", name, err)
	}
	return cloud, nil
}
