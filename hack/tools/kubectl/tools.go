//go:build tools

// Package tools pins the stock kubectl that the e2e tests drive. It lives in
// its own module so that k8s.io/kubernetes never enters the product's go.mod.
package tools

import _ "k8s.io/kubernetes/cmd/kubectl"
