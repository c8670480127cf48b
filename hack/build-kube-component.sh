#!/usr/bin/env bash
# Builds a stock Kubernetes v1.37.2 component (kube-proxy, kube-scheduler,
# kube-controller-manager, kubelet) that the e2e tests run against kybernetes, from the
# Go module proxy, in the tools module hack/tools/k8s. The binary is cached: a second run with the same
# version returns at once.
#   hack/build-kube-component.sh kube-scheduler _output/bin/kube-scheduler
set -euo pipefail
cd "$(dirname "$0")/.."
component=${1:?usage: build-kube-component.sh kube-proxy|kube-scheduler|kube-controller-manager|kubelet [out]}
out=${2:-_output/bin/$component}
version=v1.37.2
if [ -x "$out" ] && "$out" --version 2>/dev/null | grep -q "Kubernetes $version"; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$version"
(cd hack/tools/k8s && go build -trimpath -ldflags "$ldflags" -o "$abs_out" "k8s.io/kubernetes/cmd/$component")
echo "built $out ($("$out" --version 2>/dev/null))"
