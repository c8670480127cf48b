package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/containernetworking/cni/pkg/invoke"

	"github.com/kybernetes/kybernetes/kubelet/network"
)

// missing lists what real nodes need and this machine lacks, each with
// how to get it; empty when nothing is missing.
func missing(runc string) []string {
	var out []string
	if os.Geteuid() != 0 {
		out = append(out, "root: nodes are network namespaces, containers run with runc and services with iptables (run `sudo kybernetes up`)")
	}
	if _, err := exec.LookPath(runc); err != nil {
		out = append(out, fmt.Sprintf("%s: not found (apt-get install runc)", runc))
	}
	var plugins []string
	for _, p := range []string{"bridge", "host-local", "loopback", "portmap"} {
		if _, err := invoke.FindInPath(p, network.DefaultBinDirs); err != nil {
			plugins = append(plugins, p)
		}
	}
	if len(plugins) > 0 {
		out = append(out, fmt.Sprintf("the CNI plugins %s: not in %s (apt-get install containernetworking-plugins)",
			strings.Join(plugins, ", "), strings.Join(network.DefaultBinDirs, " or ")))
	}
	for _, tool := range []string{"iptables", "iptables-restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			out = append(out, fmt.Sprintf("%s: not found (apt-get install iptables)", tool))
		}
	}
	return out
}
