#!/usr/bin/env bash
# Regenerates the code kybernetes does not write by hand: the OpenAPI
# definitions of every served k8s.io/api group, from openapi-gen (kube-openapi,
# pinned as a Go tool in go.mod). With --verify-into DIR it writes there
# instead, for hack/verify-codegen.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

out=apis/openapi
if [ "${1:-}" = "--verify-into" ]; then
  out=$2
fi

# Every group version kybernetes serves, plus the apimachinery types they use.
packages=(
  k8s.io/api/core/v1
  k8s.io/api/events/v1
  k8s.io/api/coordination/v1
  k8s.io/api/authentication/v1
  k8s.io/api/policy/v1
  k8s.io/api/autoscaling/v1
  k8s.io/api/autoscaling/v2
  k8s.io/api/apps/v1
  k8s.io/api/batch/v1
  k8s.io/api/networking/v1
  k8s.io/api/discovery/v1
  k8s.io/metrics/pkg/apis/metrics/v1beta1
  k8s.io/api/scheduling/v1alpha3
  k8s.io/api/scheduling/v1
  k8s.io/api/storage/v1
  k8s.io/api/resource/v1
  k8s.io/api/node/v1
  k8s.io/api/storagemigration/v1
  k8s.io/api/rbac/v1
  k8s.io/api/authorization/v1
  k8s.io/api/admissionregistration/v1
  k8s.io/api/certificates/v1
  k8s.io/api/flowcontrol/v1
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/api/resource
  k8s.io/apimachinery/pkg/version
)

mkdir -p "$out"
# The known upstream API-rule violations go to a report, not to the terminal.
go tool openapi-gen \
  --go-header-file hack/boilerplate.go.txt \
  --output-dir "$out" \
  --output-pkg github.com/kybernetes/kybernetes/apis/openapi \
  --output-file zz_generated.openapi.go \
  --report-filename "$out/api-violations.report" \
  "${packages[@]}"
