package nodeipam

import (
	"fmt"
	"testing"
)

func TestPool(t *testing.T) {
	p, err := newPool("10.244.0.0/22", 24)
	if err != nil {
		t.Fatal(err)
	}
	p.occupy("10.244.1.0/24")   // a node had it before a restart
	p.occupy("192.168.0.0/24")  // not ours: ignored
	p.occupy("10.244.2.128/25") // wrong size: ignored
	var got []string
	for {
		cidr, ok := p.allocate()
		if !ok {
			break
		}
		got = append(got, cidr)
	}
	if want := "[10.244.0.0/24 10.244.2.0/24 10.244.3.0/24]"; fmt.Sprint(got) != want {
		t.Fatalf("allocated %v, want %s", got, want)
	}
	p.release("10.244.2.0/24")
	if cidr, ok := p.allocate(); !ok || cidr != "10.244.2.0/24" {
		t.Fatalf("after release: %q %v", cidr, ok)
	}
	if _, err := newPool("fd00::/64", 80); err == nil {
		t.Error("IPv6 cluster CIDR accepted")
	}
	if _, err := newPool("10.244.0.0/16", 8); err == nil {
		t.Error("a mask size shorter than the cluster prefix accepted")
	}
}
