//go:build tools

// Package tools pins CoreDNS, the baseline of the cluster DNS benchmark
// (hack/build-coredns.sh builds it), in a module of its own.
package tools

import _ "github.com/coredns/coredns"
