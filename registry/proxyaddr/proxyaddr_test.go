package proxyaddr

import (
	"context"
	"testing"
)

func TestOnlyGlobalUnicastIsProxied(t *testing.T) {
	for ip, allowed := range map[string]bool{
		"10.1.2.3":        true,
		"192.0.2.10":      true,
		"2001:db8::1":     true,
		"127.0.0.1":       false,
		"::1":             false,
		"169.254.169.254": false,
		"fe80::1":         false,
		"224.0.0.1":       false,
		"0.0.0.0":         false,
		"not-an-ip":       false,
	} {
		if err := CheckIP(ip); (err == nil) != allowed {
			t.Errorf("CheckIP(%q) = %v, want allowed=%v", ip, err, allowed)
		}
	}
	if err := CheckHost(context.Background(), "localhost"); err == nil {
		t.Error("localhost resolved to an allowed address")
	}
	if err := CheckHost(context.Background(), "10.0.0.1"); err != nil {
		t.Errorf("CheckHost(10.0.0.1): %v", err)
	}
}
