package allocator

import (
	"context"
	"errors"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"
)

// Repair brings the stored allocations back in line with the services that
// exist, as upstream's repair loops do after a crash between allocating and
// storing: a value a service uses but the bitmap lacks is marked taken; a
// value marked taken that no service uses is freed, but only when two runs
// in a row found it so, since a create in flight has allocated but not yet
// stored its service.
type Repair struct {
	ips      *IPRange
	ports    *PortRange
	services func(ctx context.Context) ([]corev1.Service, error)

	suspectIPs, suspectPorts map[int]bool
}

// NewRepair returns a repair loop over the allocators; services lists every
// service in the cluster.
func NewRepair(ips *IPRange, ports *PortRange, services func(ctx context.Context) ([]corev1.Service, error)) *Repair {
	return &Repair{ips: ips, ports: ports, services: services}
}

// Run repairs every interval until ctx ends.
func (r *Repair) Run(ctx context.Context, interval time.Duration) {
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			klog.ErrorS(err, "repairing service IP and node port allocations")
		}
	}, interval)
}

// RunOnce makes one pass. It reads the allocations' versions before it
// lists the services and changes nothing if the allocations moved on
// meanwhile: a service updated or deleted after the list would otherwise
// have its released values marked in use again.
func (r *Repair) RunOnce(ctx context.Context) error {
	ipVersion, err := r.ips.bitmap.version(ctx)
	if err != nil {
		return err
	}
	portVersion, err := r.ports.bitmap.version(ctx)
	if err != nil {
		return err
	}
	services, err := r.services(ctx)
	if err != nil {
		return err
	}
	ips, ports := map[int]bool{}, map[int]bool{}
	for i := range services {
		for _, ip := range allocatedIPsOf(&services[i]) {
			if offset, ok := r.ips.offset(ip); ok {
				ips[offset] = true
			}
		}
		held := []int32{services[i].Spec.HealthCheckNodePort}
		for _, p := range services[i].Spec.Ports {
			held = append(held, p.NodePort)
		}
		for _, p := range held {
			if p != 0 && r.ports.ports.Contains(int(p)) {
				ports[int(p)-r.ports.ports.Base] = true
			}
		}
	}
	if r.suspectIPs, err = r.ips.bitmap.repair(ctx, ipVersion, ips, r.suspectIPs); err != nil {
		return err
	}
	r.suspectPorts, err = r.ports.bitmap.repair(ctx, portVersion, ports, r.suspectPorts)
	return err
}

func allocatedIPsOf(svc *corev1.Service) []net.IP {
	var ips []net.IP
	for _, s := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...) {
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
		}
	}
	return ips
}

// repair marks every offset in use, frees the allocated offsets that are
// neither in use nor new suspects, and returns the offsets to suspect next
// time.
func (b *Bitmap) repair(ctx context.Context, version string, inUse, suspects map[int]bool) (map[int]bool, error) {
	next := map[int]bool{}
	err := b.update(ctx, &version, func(o *offsets) (bool, error) {
		clear(next)
		changed := false
		for offset := range inUse {
			if !o.has(offset) {
				klog.InfoS("allocation repair: marking a value in use", "range", b.rangeName, "offset", offset)
				o.add(offset)
				changed = true
			}
		}
		for _, offset := range append(offsets(nil), *o...) {
			switch {
			case inUse[offset]:
			case suspects[offset]:
				klog.InfoS("allocation repair: freeing a leaked value", "range", b.rangeName, "offset", offset)
				o.remove(offset)
				changed = true
			default:
				next[offset] = true
			}
		}
		return changed, nil
	})
	if errors.Is(err, errStale) {
		// Allocations changed under this pass: look again next time.
		return suspects, nil
	}
	return next, err
}
