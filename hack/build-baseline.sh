#!/usr/bin/env bash
# Builds the stock kube-apiserver, kube-controller-manager and kube-scheduler
# v1.37.2 and etcd v3.7.0 that the hack/benchmark-*.sh scripts measure
# kybernetes against, from the Go module proxy, in the tools module
# hack/tools/k8s. Binaries land in _output/bin; each is built once.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p _output/bin
out=$(pwd)/_output/bin
version=v1.37.2
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
cd hack/tools/k8s
for component in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$out/$component" ] || go build -trimpath -ldflags "$ldflags" -o "$out/$component" "k8s.io/kubernetes/cmd/$component"
done
[ -x "$out/etcd" ] || go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
echo "built kube-apiserver, kube-controller-manager, kube-scheduler and etcd in $out"
