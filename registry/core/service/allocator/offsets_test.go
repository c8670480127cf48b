package allocator

import (
	"math/rand/v2"
	"testing"
)

func TestOffsetsRoundTripAndFirstFree(t *testing.T) {
	var o offsets
	for _, x := range []int{5, 0, 1048574, 6, 2, 7} {
		o.add(x)
	}
	decoded, err := decodeOffsets(o.encode())
	if err != nil {
		t.Fatal(err)
	}
	if len(decoded) != 6 || decoded[0] != 0 || decoded[5] != 1048574 {
		t.Fatalf("round trip: %v", decoded)
	}
	if got, ok := o.firstFree(5, 10); !ok || got != 8 {
		t.Fatalf("first free from 5: %d %v", got, ok)
	}
	if got, ok := o.firstFree(9, 10); !ok || got != 9 {
		t.Fatalf("first free from 9: %d %v", got, ok)
	}
	small := offsets{1, 2}
	if got, ok := small.firstFree(1, 3); !ok || got != 0 {
		t.Fatalf("wrap-around: %d %v", got, ok)
	}
	full := offsets{0, 1, 2}
	if _, ok := full.firstFree(1, 3); ok {
		t.Fatal("a full range had room")
	}
	o.remove(5)
	if o.has(5) || !o.has(6) {
		t.Fatalf("after remove: %v", o)
	}
	if _, err := decodeOffsets([]byte{0x80}); err == nil {
		t.Fatal("truncated data decoded")
	}
}

// A thousand allocations in a /12 range cost a few kilobytes, not 128 KiB.
func TestOffsetsStaySmall(t *testing.T) {
	var o offsets
	for range 1000 {
		x := rand.IntN(1 << 20)
		if !o.has(x) {
			o.add(x)
		}
	}
	if size := len(o.encode()); size > 4000 {
		t.Fatalf("1000 allocations encode to %d bytes", size)
	}
}
