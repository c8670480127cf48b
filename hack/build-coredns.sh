#!/usr/bin/env bash
# Builds the stock CoreDNS v1.15.0 that BenchmarkClusterDNS compares the
# built-in cluster DNS with, from the Go module proxy, in the separate tools
# module hack/tools/coredns. Not part of `make test`: it takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-_output/bin/coredns}
if [ -x "$out" ] && "$out" -version 2>/dev/null | grep -q "CoreDNS-1.15.0"; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd hack/tools/coredns && go build -trimpath -ldflags "-s -w" -o "$abs_out" github.com/coredns/coredns)
echo "built $out ($("$out" -version | head -n1))"
