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

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
token=bench-$RANDOM$RANDOM
echo "$token,bench,0,system:masters" > "$work/tokens.csv"

kubeconfig_for() { # url file
  cat > "$2" <<KC
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: "$token"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
KC
}

wait_ready() { # kubeconfig
  for _ in $(seq 1 600); do
    if _output/bin/kubectl --kubeconfig "$1" get --raw /readyz >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "server not ready" >&2; return 1
}

start_etcd() { # dir -> prints client url
  local cp pp
  cp=$(free_port); pp=$(free_port)
  _output/bin/etcd --name bench --data-dir "$1" --log-level error \
    --listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "bench=http://127.0.0.1:$pp" >"$1.log" 2>&1 &
  pids+=($!)
  echo "http://127.0.0.1:$cp"
}

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
openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
etcd=$(start_etcd "$work/etcd-kube")
port=$(free_port)
_output/bin/kube-apiserver --etcd-servers "$etcd" --bind-address 127.0.0.1 --secure-port "$port" \
  --cert-dir "$work/kube-certs" --token-auth-file "$work/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$work/sa.key" \
  --service-account-signing-key-file "$work/sa.key" --service-cluster-ip-range 10.96.0.0/12 \
  >"$work/kube-apiserver.log" 2>&1 &
pid=$!; pids+=($pid)
kubeconfig_for "https://127.0.0.1:$port" "$work/kube.kubeconfig"
wait_ready "$work/kube.kubeconfig"
measure kube-apiserver "$work/kube.kubeconfig" "$pid"

# 2. kybernetes apiserver, external etcd
etcd=$(start_etcd "$work/etcd-kyb")
port=$(free_port)
bin/kybernetes apiserver --data-dir "$work/kyb-external" --etcd-servers "$etcd" --secure-port "$port" \
  --token-auth-file "$work/tokens.csv" >"$work/kyb-external.log" 2>&1 &
pid=$!; pids+=($pid)
kubeconfig_for "https://127.0.0.1:$port" "$work/kyb-external.kubeconfig"
wait_ready "$work/kyb-external.kubeconfig"
measure kybernetes-external-etcd "$work/kyb-external.kubeconfig" "$pid"

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
