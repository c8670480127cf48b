//go:build tools

// Package tools pins the stock helm that the e2e tests install a chart with.
// It lives in its own module so that helm's dependencies never enter the
// product's go.mod nor the Kubernetes tools module's.
package tools

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
