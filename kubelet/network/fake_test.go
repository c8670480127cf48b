package network

import (
	"context"
	"fmt"
	"testing"
)

func TestFakeHandsOutThePodCIDR(t *testing.T) {
	ctx := context.Background()
	f := &Fake{}
	var got []string
	for i := range 3 {
		ip, err := f.Setup(ctx, Pod{ID: fmt.Sprint(i)}, "10.244.3.0/30")
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, ip.String())
	}
	// A /30 has one address for pods: .0 is the network, .1 the gateway,
	// .3 the broadcast address.
	want := []string{"10.244.3.2", "no IP addresses available in range set: 10.244.3.0/30", "no IP addresses available in range set: 10.244.3.0/30"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if ip, _ := f.Setup(ctx, Pod{ID: "0"}, "10.244.3.0/30"); ip.String() != "10.244.3.2" {
		t.Errorf("a pod set up again keeps its address; got %s", ip)
	}
	if err := f.Teardown(ctx, Pod{ID: "0"}, "10.244.3.0/30"); err != nil {
		t.Fatal(err)
	}
	if ip, err := f.Setup(ctx, Pod{ID: "1"}, "10.244.3.0/30"); err != nil || ip.String() != "10.244.3.2" {
		t.Errorf("a freed address is handed out again; got %s, %v", ip, err)
	}
	if s := f.Sandboxes(); fmt.Sprint(s) != "[1]" {
		t.Errorf("sandboxes %v, want [1]", s)
	}
	if ip, err := f.Setup(ctx, Pod{ID: "v6"}, "fd00:10:244::/64"); err != nil || ip.String() != "fd00:10:244::2" {
		t.Errorf("IPv6: %s, %v", ip, err)
	}
}

// TestFakeKeepsAllocationsAcrossRestarts: a new Fake over the same state
// directory knows the addresses handed out before.
func TestFakeKeepsAllocationsAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := &Fake{StateDir: dir}
	if _, err := first.Setup(ctx, Pod{ID: "a"}, "10.244.0.0/24"); err != nil {
		t.Fatal(err)
	}
	second := &Fake{StateDir: dir}
	if ip, _ := second.Setup(ctx, Pod{ID: "a"}, "10.244.0.0/24"); ip.String() != "10.244.0.2" {
		t.Errorf("pod a after a restart: %s, want its 10.244.0.2", ip)
	}
	if ip, _ := second.Setup(ctx, Pod{ID: "b"}, "10.244.0.0/24"); ip.String() != "10.244.0.3" {
		t.Errorf("pod b after a restart: %s, want 10.244.0.3 (10.244.0.2 is a's)", ip)
	}
	if err := second.Teardown(ctx, Pod{ID: "a"}, "10.244.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if s := (&Fake{StateDir: dir}).Sandboxes(); fmt.Sprint(s) != "[b]" {
		t.Errorf("after a's teardown: %v, want [b]", s)
	}
}
