package allocator

import (
	"context"
	"fmt"
	"math/big"
	"net"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/registry/generic"
)

// IPRange allocates the usable addresses of a CIDR (not the network
// address, and for IPv4 not the broadcast address).
type IPRange struct {
	bitmap *Bitmap
	cidr   *net.IPNet
	base   *big.Int // the first usable address
}

// NewIPRange returns the cluster IP allocator for cidr.
func NewIPRange(optsGetter generic.RESTOptionsGetter, cidr *net.IPNet) (*IPRange, error) {
	ones, bits := cidr.Mask.Size()
	if bits-ones > 24 {
		return nil, fmt.Errorf("service CIDR %s is too large: at most 2^24 addresses", cidr)
	}
	size := (1 << (bits - ones)) - 1 // without the network address
	if cidr.IP.To4() != nil {
		size-- // and without the broadcast address
	}
	if size < 1 {
		return nil, fmt.Errorf("service CIDR %s has no usable addresses", cidr)
	}
	bitmap, err := NewBitmap(optsGetter, "/ranges/serviceips", cidr.String(), size)
	if err != nil {
		return nil, err
	}
	base := new(big.Int).Add(new(big.Int).SetBytes(cidr.IP.To16()), big.NewInt(1))
	return &IPRange{bitmap: bitmap, cidr: cidr, base: base}, nil
}

// Destroy releases the allocator's storage.
func (r *IPRange) Destroy() { r.bitmap.Destroy() }

// CIDR is the range's network.
func (r *IPRange) CIDR() *net.IPNet { return r.cidr }

// Allocate claims ip.
func (r *IPRange) Allocate(ctx context.Context, ip net.IP) error {
	offset, ok := r.offset(ip)
	if !ok {
		return ErrNotInRange
	}
	return r.bitmap.Allocate(ctx, offset)
}

// AllocateNext claims a free address.
func (r *IPRange) AllocateNext(ctx context.Context) (net.IP, error) {
	offset, err := r.bitmap.AllocateNext(ctx)
	if err != nil {
		return nil, err
	}
	return r.ip(offset), nil
}

// Release frees ip; addresses outside the range are ignored.
func (r *IPRange) Release(ctx context.Context, ip net.IP) error {
	if offset, ok := r.offset(ip); ok {
		return r.bitmap.Release(ctx, offset)
	}
	return nil
}

func (r *IPRange) offset(ip net.IP) (int, bool) {
	if ip == nil || !r.cidr.Contains(ip) {
		return 0, false
	}
	offset := new(big.Int).Sub(new(big.Int).SetBytes(ip.To16()), r.base)
	if offset.Sign() < 0 || offset.Cmp(big.NewInt(int64(r.bitmap.size))) >= 0 {
		return 0, false
	}
	return int(offset.Int64()), true
}

func (r *IPRange) ip(offset int) net.IP {
	sum := new(big.Int).Add(r.base, big.NewInt(int64(offset)))
	ip := make(net.IP, net.IPv6len)
	sum.FillBytes(ip)
	if r.cidr.IP.To4() != nil {
		return ip.To4()
	}
	return ip
}

// PortRange allocates node ports.
type PortRange struct {
	bitmap *Bitmap
	ports  utilnet.PortRange
}

// NewPortRange returns the node port allocator for ports.
func NewPortRange(optsGetter generic.RESTOptionsGetter, ports utilnet.PortRange) (*PortRange, error) {
	bitmap, err := NewBitmap(optsGetter, "/ranges/servicenodeports", ports.String(), ports.Size)
	if err != nil {
		return nil, err
	}
	return &PortRange{bitmap: bitmap, ports: ports}, nil
}

// Destroy releases the allocator's storage.
func (r *PortRange) Destroy() { r.bitmap.Destroy() }

// Range is the allocator's port range.
func (r *PortRange) Range() utilnet.PortRange { return r.ports }

// Allocate claims port.
func (r *PortRange) Allocate(ctx context.Context, port int) error {
	if !r.ports.Contains(port) {
		return ErrNotInRange
	}
	return r.bitmap.Allocate(ctx, port-r.ports.Base)
}

// AllocateNext claims a free port.
func (r *PortRange) AllocateNext(ctx context.Context) (int, error) {
	offset, err := r.bitmap.AllocateNext(ctx)
	return r.ports.Base + offset, err
}

// Release frees port; ports outside the range are ignored.
func (r *PortRange) Release(ctx context.Context, port int) error {
	if !r.ports.Contains(port) {
		return nil
	}
	return r.bitmap.Release(ctx, port-r.ports.Base)
}
