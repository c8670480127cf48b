#!/usr/bin/env bash
# Measures kybernetes's scheduler and a stock kube-scheduler v1.37.2 placing
# the same pods, end to end through an API server, in one run:
#   1. kube-scheduler on a stock kube-apiserver (the baseline);
#   2. kybernetes scheduler on the same kind of kube-apiserver;
#   3. kybernetes scheduler on `kybernetes apiserver` (what users run).
# (kube-scheduler now runs against kybernetes's API server too, see the
# e2e TestStockKubeScheduler; a run of it here is not measured yet.)
# Each run: hack/schedbench creates NODES nodes (32 cpu, 128Gi, 110 pods,
# three zones) and PODS pending pods (100m, 128Mi); the scheduler starts and
# drains that backlog (pods/s from the first binding to the last); then
# STREAM more pods are created as fast as the API server takes them (pods/s,
# p50/p99 create-to-bind). Both schedulers get 5000 requests/s to the API
# server, so that neither measures its client rate limiter.
#
#   NODES=1000 PODS=10000 STREAM=5000 hack/benchmark-scheduler.sh
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${NODES:-1000}
pods=${PODS:-10000}
streamed=${STREAM:-5000}

make build >/dev/null
hack/build-kubectl.sh _output/bin/kubectl >/dev/null
hack/build-baseline.sh >/dev/null
go build -o _output/bin/schedbench ./hack/schedbench

source hack/lib/bench.sh

cpu_seconds() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }

run() { # name kubeconfig scheduler-command...
  local name=$1 kubeconfig=$2
  shift 2
  echo "== $name"
  _output/bin/schedbench --kubeconfig "$kubeconfig" --phase setup --nodes "$nodes" --pods "$pods"
  "$@" >"$work/$name-scheduler.log" 2>&1 &
  local scheduler=$!; pids+=($scheduler)
  _output/bin/schedbench --kubeconfig "$kubeconfig" --phase wait --pods "$pods"
  _output/bin/schedbench --kubeconfig "$kubeconfig" --phase stream --pods "$streamed"
  echo "   scheduler CPU $(cpu_seconds "$scheduler") s, RSS $(( $(ps -o rss= -p "$scheduler") / 1024 )) MiB"
  kill "$scheduler" "$apiserver"; wait "$scheduler" "$apiserver" 2>/dev/null || true
}

start_kube_apiserver kube-1
cat > "$work/kube-scheduler.yaml" <<YAML
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: "$work/kube-1.kubeconfig", qps: 5000, burst: 5000}
leaderElection: {leaderElect: false}
YAML
run kube-scheduler "$work/kube-1.kubeconfig" _output/bin/kube-scheduler --config "$work/kube-scheduler.yaml" --secure-port=0

start_kube_apiserver kube-2
run kybernetes-on-kube-apiserver "$work/kube-2.kubeconfig" bin/kybernetes scheduler --kubeconfig "$work/kube-2.kubeconfig" \
  --leader-elect=false --secure-port=0 --kube-api-qps=5000 --kube-api-burst=5000

start_kybernetes_apiserver kyb
run kybernetes "$work/kyb.kubeconfig" bin/kybernetes scheduler --kubeconfig "$work/kyb.kubeconfig" \
  --leader-elect=false --secure-port=0 --kube-api-qps=5000 --kube-api-burst=5000
