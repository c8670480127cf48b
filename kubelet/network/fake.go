package network

import (
	"context"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Fake is the pod network of hollow nodes: each pod gets the lowest free
// address of the node's pod CIDR (after the network address and the
// bridge's gateway, as host-local hands them out), and nothing is made on
// the machine. As host-local, it keeps its allocations as files (one per
// address, holding the sandbox's ID) in StateDir, so that a restarted
// kubelet's pods keep theirs and no address is handed out twice; without
// StateDir they live in memory only.
type Fake struct {
	StateDir string

	mu    sync.Mutex
	byPod map[string]string // sandbox ID → IP
	used  map[string]bool   // IPs handed out
}

// load reads the allocations of an earlier run, once.
func (f *Fake) load() {
	if f.byPod != nil {
		return
	}
	f.byPod, f.used = map[string]string{}, map[string]bool{}
	if f.StateDir == "" {
		return
	}
	entries, _ := os.ReadDir(f.StateDir)
	for _, e := range entries {
		id, err := os.ReadFile(filepath.Join(f.StateDir, e.Name()))
		if ip := net.ParseIP(e.Name()); err == nil && ip != nil {
			f.byPod[string(id)], f.used[ip.String()] = ip.String(), true
		}
	}
}

// record writes (or with an empty id, removes) an allocation.
func (f *Fake) record(ip, id string) error {
	if f.StateDir == "" {
		return nil
	}
	if id == "" {
		return os.Remove(filepath.Join(f.StateDir, ip))
	}
	if err := os.MkdirAll(f.StateDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(f.StateDir, ip), []byte(id), 0o644)
}

var _ Interface = (*Fake)(nil)

// Check reports nothing wrong: the fake network is always ready.
func (f *Fake) Check() error { return nil }

// Setup hands the pod an address of podCIDR; the same one again for a pod
// that has one.
func (f *Fake) Setup(ctx context.Context, p Pod, podCIDR string) (net.IP, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	if ip, ok := f.byPod[p.ID]; ok {
		return net.ParseIP(ip), nil
	}
	_, cidr, err := net.ParseCIDR(podCIDR)
	if err != nil {
		return nil, fmt.Errorf("the node's pod CIDR %q: %w", podCIDR, err)
	}
	ones, bits := cidr.Mask.Size()
	size := new(big.Int).Lsh(big.NewInt(1), uint(bits-ones))
	base := new(big.Int).SetBytes(cidr.IP.To16())
	// From the third address (the first is the network's, the second the
	// gateway's) to the one before the last (broadcast, in IPv4).
	for i := big.NewInt(2); i.Cmp(new(big.Int).Sub(size, big.NewInt(1))) < 0; i.Add(i, big.NewInt(1)) {
		ip := net.IP(new(big.Int).Add(base, i).FillBytes(make([]byte, 16)))
		if cidr.IP.To4() != nil {
			ip = ip.To4()
		}
		if !f.used[ip.String()] {
			if err := f.record(ip.String(), p.ID); err != nil {
				return nil, err
			}
			f.used[ip.String()], f.byPod[p.ID] = true, ip.String()
			return ip, nil
		}
	}
	return nil, fmt.Errorf("no IP addresses available in range set: %s", podCIDR)
}

// Teardown frees the pod's address.
func (f *Fake) Teardown(ctx context.Context, p Pod, podCIDR string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	if ip, ok := f.byPod[p.ID]; ok {
		if err := f.record(ip, ""); err != nil && !os.IsNotExist(err) {
			return err
		}
		delete(f.used, ip)
		delete(f.byPod, p.ID)
	}
	return nil
}

// Sandboxes are the pods that hold an address.
func (f *Fake) Sandboxes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	ids := make([]string, 0, len(f.byPod))
	for id := range f.byPod {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// NetNSPath is empty: hollow pods have no namespace.
func (f *Fake) NetNSPath(p Pod) string { return "" }

// Lost is false: hollow pods' networks are records, kept on disk.
func (f *Fake) Lost(p Pod) bool { return false }
