#!/usr/bin/env bash
# Builds the stock helm v4.3.2 that the e2e tests install a chart with, from
# the Go module proxy, in its own tools module hack/tools/helm. The binary is
# cached: a second run with the same version returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-_output/bin/helm}
version=v4.3.2
if [ -x "$out" ] && "$out" version --template '{{.Version}}' 2>/dev/null | grep -qx "$version"; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd hack/tools/helm && go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$version" -o "$abs_out" helm.sh/helm/v4/cmd/helm)
echo "built $out ($("$out" version --short 2>/dev/null))"
