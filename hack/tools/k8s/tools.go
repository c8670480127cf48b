//go:build tools

// Package tools pins the stock Kubernetes binaries that kybernetes is tested
// and measured against: kubectl for the e2e tests, kube-apiserver and etcd as
// the baseline of hack/benchmark-apiserver.sh, kube-controller-manager and
// kube-scheduler as the baselines of hack/benchmark-controllers.sh and
// hack/benchmark-scheduler.sh, kube-proxy, kube-scheduler,
// kube-controller-manager and the kubelet as stock components the e2e tests
// run against kybernetes. It lives in its own module so
// that k8s.io/kubernetes never enters the product's go.mod.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
