#!/usr/bin/env bash
# Fails when the generated code in the tree is not what hack/update-codegen.sh
# makes now.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hack/update-codegen.sh --verify-into "$tmp"
if ! diff -u apis/openapi/zz_generated.openapi.go "$tmp/zz_generated.openapi.go"; then
  echo "apis/openapi is stale: run hack/update-codegen.sh" >&2
  exit 1
fi
echo "generated code is current"
