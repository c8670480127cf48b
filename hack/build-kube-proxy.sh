#!/usr/bin/env bash
# Builds the stock kube-proxy v1.37.2 that the e2e tests run against
# kybernetes server (iptables mode, in a network namespace of the test's), from
# the Go module proxy, in the tools module hack/tools/k8s. The binary is
# cached: a second run with the same version returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-_output/bin/kube-proxy}
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
(cd hack/tools/k8s && go build -trimpath -ldflags "$ldflags" -o "$abs_out" k8s.io/kubernetes/cmd/kube-proxy)
echo "built $out ($("$out" --version 2>/dev/null))"
