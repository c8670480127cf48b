// Package allocator hands out the members of a range (service cluster IPs,
// node ports) exactly once across every API server on the same etcd: the
// set of allocations is a RangeAllocation object in etcd, changed only by
// guaranteed (compare-and-swap) updates, as upstream's allocators keep it.
package allocator

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
)

// Errors a caller turns into field errors.
var (
	ErrAllocated  = errors.New("provided value is already allocated")
	ErrFull       = errors.New("range is full")
	ErrNotInRange = errors.New("provided value is not in the valid range")
)

// Bitmap allocates offsets 0..size-1 of a range named by a string
// (a CIDR or a port range), persisted under one etcd key.
type Bitmap struct {
	storage   storage.Interface
	destroy   func()
	key       string
	rangeName string
	size      int
}

// NewBitmap returns the allocator stored at key (e.g. "/ranges/serviceips",
// as upstream keys it) in the storage that optsGetter gives the
// RangeAllocation kind.
func NewBitmap(optsGetter generic.RESTOptionsGetter, key, rangeName string, size int) (*Bitmap, error) {
	opts, err := optsGetter.GetRESTOptions(corev1.Resource("rangeallocations"), &corev1.RangeAllocation{})
	if err != nil {
		return nil, err
	}
	s, destroy, err := generic.NewRawStorage(opts.StorageConfig,
		func() runtime.Object { return &corev1.RangeAllocation{} },
		func() runtime.Object { return &corev1.RangeAllocation{} }, "/ranges")
	if err != nil {
		return nil, err
	}
	return &Bitmap{storage: s, destroy: destroy, key: key, rangeName: rangeName, size: size}, nil
}

// Destroy releases the allocator's etcd client; the server calls it when it
// shuts down.
func (b *Bitmap) Destroy() { b.destroy() }

// Allocate claims a specific offset.
func (b *Bitmap) Allocate(ctx context.Context, offset int) error {
	if offset < 0 || offset >= b.size {
		return ErrNotInRange
	}
	return b.update(ctx, nil, func(o *offsets) (bool, error) {
		if o.has(offset) {
			return false, ErrAllocated
		}
		o.add(offset)
		return true, nil
	})
}

// AllocateNext claims a free offset, scanning from a random start so that
// released values are not handed out again at once.
func (b *Bitmap) AllocateNext(ctx context.Context) (int, error) {
	chosen := -1
	start := rand.IntN(b.size)
	err := b.update(ctx, nil, func(o *offsets) (bool, error) {
		offset, ok := o.firstFree(start, b.size)
		if !ok {
			return false, ErrFull
		}
		o.add(offset)
		chosen = offset
		return true, nil
	})
	return chosen, err
}

// Release frees an offset; releasing a free offset is not an error.
func (b *Bitmap) Release(ctx context.Context, offset int) error {
	if offset < 0 || offset >= b.size {
		return nil
	}
	return b.update(ctx, nil, func(o *offsets) (bool, error) {
		if !o.has(offset) {
			return false, nil
		}
		o.remove(offset)
		return true, nil
	})
}

// Has reports whether an offset is allocated.
func (b *Bitmap) Has(ctx context.Context, offset int) (bool, error) {
	r := &corev1.RangeAllocation{}
	if err := b.storage.Get(ctx, b.key, storage.GetOptions{IgnoreNotFound: true}, r); err != nil {
		return false, err
	}
	o, err := decodeOffsets(r.Data)
	return o.has(offset), err
}

// errUnchanged aborts a guaranteed update that would write nothing.
var errUnchanged = errors.New("unchanged")

// errStale aborts an update whose caller read the allocations at an older
// version than the stored one.
var errStale = errors.New("the allocations changed since they were read")

// version is the resourceVersion of the stored allocations ("" before the
// first allocation).
func (b *Bitmap) version(ctx context.Context) (string, error) {
	r := &corev1.RangeAllocation{}
	if err := b.storage.Get(ctx, b.key, storage.GetOptions{IgnoreNotFound: true}, r); err != nil {
		return "", err
	}
	return r.ResourceVersion, nil
}

// update applies change to the stored allocations in a compare-and-swap
// loop. With expectVersion, it gives up with errStale instead of retrying
// once the stored allocations are not at that version.
func (b *Bitmap) update(ctx context.Context, expectVersion *string, change func(*offsets) (bool, error)) error {
	err := b.storage.GuaranteedUpdate(ctx, b.key, &corev1.RangeAllocation{}, true, nil,
		storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
			r := obj.(*corev1.RangeAllocation)
			if expectVersion != nil && r.ResourceVersion != *expectVersion {
				return nil, errStale
			}
			if r.Range != "" && r.Range != b.rangeName {
				return nil, fmt.Errorf("the stored allocations are for range %q, not %q: the range cannot change on a running cluster", r.Range, b.rangeName)
			}
			o, err := decodeOffsets(r.Data)
			if err != nil {
				return nil, fmt.Errorf("allocations of range %s: %w", b.rangeName, err)
			}
			changed, err := change(&o)
			if err != nil {
				return nil, err
			}
			if !changed {
				return nil, errUnchanged
			}
			r.Range = b.rangeName
			r.Data = o.encode()
			return r, nil
		}), nil)
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}
