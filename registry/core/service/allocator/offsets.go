package allocator

import (
	"encoding/binary"
	"errors"
	"sort"
)

// offsets is the sorted set of allocated offsets of a range. Stored, it is
// the uvarint-encoded gaps between them, so that the etcd value grows with
// the number of allocations, not with the size of the range (a /12 service
// range as a plain bitmap is 128 KiB, rewritten on every create).
type offsets []int

func (o offsets) has(x int) bool {
	i := sort.SearchInts(o, x)
	return i < len(o) && o[i] == x
}

func (o *offsets) add(x int) {
	i := sort.SearchInts(*o, x)
	*o = append(*o, 0)
	copy((*o)[i+1:], (*o)[i:])
	(*o)[i] = x
}

func (o *offsets) remove(x int) {
	i := sort.SearchInts(*o, x)
	if i < len(*o) && (*o)[i] == x {
		*o = append((*o)[:i], (*o)[i+1:]...)
	}
}

// firstFree returns the first free offset at or after start, wrapping
// around the range once; false when the range is full.
func (o offsets) firstFree(start, size int) (int, bool) {
	if len(o) >= size {
		return 0, false
	}
	for _, from := range []int{start, 0} {
		candidate := from
		for i := sort.SearchInts(o, from); i < len(o) && o[i] == candidate; i++ {
			candidate++
		}
		if candidate < size {
			return candidate, true
		}
	}
	return 0, false
}

func (o offsets) encode() []byte {
	buf := make([]byte, 0, len(o)*3)
	prev := -1
	for _, x := range o {
		buf = binary.AppendUvarint(buf, uint64(x-prev))
		prev = x
	}
	return buf
}

func decodeOffsets(data []byte) (offsets, error) {
	var o offsets
	prev := -1
	for len(data) > 0 {
		gap, n := binary.Uvarint(data)
		if n <= 0 || gap == 0 {
			return nil, errors.New("corrupt allocation data")
		}
		prev += int(gap)
		o = append(o, prev)
		data = data[n:]
	}
	return o, nil
}
