#!/usr/bin/env bash
# Measures kybernetes and a stock kube-apiserver v1.37.2 under the same load
# in one run, so their figures can be read as ratios. Each server runs alone
# on this machine in turn, all on loopback:
#   1. kube-apiserver on an external etcd (the baseline)
#   2. kybernetes apiserver on the same kind of external etcd
#   3. kybernetes server with its embedded etcd (what users run)
# The load is hack/loadtest: CLIENTS concurrent clients cycling
# create/get/update/list/delete of each of RESOURCES (configmaps, ~2 KB
# pods, services) for DURATION each. Both servers authenticate the same
# static token as system:masters.
#
#   CLIENTS=8 DURATION=20s RESOURCES="configmaps pods services" hack/benchmark-apiserver.sh
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${CLIENTS:-8}
duration=${DURATION:-20s}
resources=${RESOURCES:-configmaps pods services}

hack/build-baseline.sh >/dev/null
make build >/dev/null
go build -o _output/bin/loadtest ./hack/loadtest

source hack/lib/bench.sh

measure() { # name kubeconfig pid
  for resource in $resources; do
    echo "== $1: $resource"
    _output/bin/loadtest --kubeconfig "$2" --resource "$resource" --namespace "bench-$resource" \
      --clients "$clients" --duration "$duration" | tee "$work/$1-$resource.txt"
  done
  echo "== $1: server RSS after load: $(( $(ps -o rss= -p "$3") / 1024 )) MiB"
  kill "$3"; wait "$3" 2>/dev/null || true
}

hack/build-kubectl.sh _output/bin/kubectl >/dev/null

# 1. kube-apiserver
start_kube_apiserver kube
measure kube-apiserver "$work/kube.kubeconfig" "$apiserver"

# 2. kybernetes apiserver, external etcd
etcd=$(start_etcd "$work/etcd-kyb")
start_kybernetes_apiserver kyb-external --etcd-servers "$etcd"
measure kybernetes-external-etcd "$work/kyb-external.kubeconfig" "$apiserver"

# 3. kybernetes server, embedded etcd
port=$(free_port)
bin/kybernetes server --data-dir "$work/kyb-embedded" --secure-port "$port" \
  --token-auth-file "$work/tokens.csv" >"$work/kyb-embedded.log" 2>&1 &
pid=$!; pids+=($pid)
kubeconfig_for "https://127.0.0.1:$port" "$work/kyb-embedded.kubeconfig"
wait_ready "$work/kyb-embedded.kubeconfig"
measure kybernetes-embedded-etcd "$work/kyb-embedded.kubeconfig" "$pid"

echo "== throughput of all operations, and create p99, relative to kube-apiserver"
for resource in $resources; do
  base=$(awk '$1=="all"{print $3}' "$work/kube-apiserver-$resource.txt")
  for name in kube-apiserver kybernetes-external-etcd kybernetes-embedded-etcd; do
    awk -v n="$name" -v r="$resource" -v b="$base" '
      $1=="create"{p99=$5} $1=="all"{printf "%-11s %-26s %6d ops/s  %.2fx   create p99 %s\n", r, n, $3, $3/b, p99}' "$work/$name-$resource.txt"
  done
done
