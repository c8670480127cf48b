#!/usr/bin/env bash
# Builds the stock kube-apiserver v1.37.2 and etcd v3.7.0 that
# hack/benchmark-apiserver.sh measures kybernetes against, from the Go module
# proxy, in the tools module hack/tools/k8s. Binaries land in _output/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p _output/bin
out=$(pwd)/_output/bin
version=v1.37.2
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
cd hack/tools/k8s
[ -x "$out/kube-apiserver" ] || go build -trimpath -ldflags "$ldflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
[ -x "$out/etcd" ] || go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
echo "built $out/kube-apiserver $out/etcd"
