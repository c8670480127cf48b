// Package proxyaddr decides which addresses the API server's proxy
// subresources (nodes/proxy, pods/proxy, services/proxy) may reach. As
// upstream, only global unicast addresses are proxied: a client allowed to
// proxy must not reach the API server's own loopback services or the
// link-local metadata addresses of the machine it runs on.
package proxyaddr

import (
	"context"
	"errors"
	"net"
)

// ErrNotAllowed is upstream's answer for an address the proxy refuses.
var ErrNotAllowed = errors.New("address not allowed")

// CheckIP refuses an address that is not a global unicast IP.
func CheckIP(ip string) error {
	parsed := net.ParseIP(ip)
	if parsed == nil || !parsed.IsGlobalUnicast() {
		return ErrNotAllowed
	}
	return nil
}

// CheckHost resolves host (an IP or a name) and refuses it when any of its
// addresses is not global unicast, so a name cannot smuggle in loopback.
func CheckHost(ctx context.Context, host string) error {
	if net.ParseIP(host) != nil {
		return CheckIP(host)
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return errors.New("no addresses for hostname")
	}
	for _, a := range addrs {
		if !a.IP.IsGlobalUnicast() {
			return ErrNotAllowed
		}
	}
	return nil
}
