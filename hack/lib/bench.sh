# Shared by the hack/benchmark-*.sh scripts (sourced, from the repository
# root): a work directory and the processes to stop on exit, free ports, a
# static admin token and kubeconfigs for it, and starting etcd and a stock
# kube-apiserver as baselines.

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Every server under test authenticates this token as system:masters.
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

# start_kube_apiserver NAME: a stock kube-apiserver on its own etcd; sets
# $apiserver (pid) and writes $work/NAME.kubeconfig.
start_kube_apiserver() {
  local etcd port
  [ -f "$work/sa.key" ] || openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
  etcd=$(start_etcd "$work/etcd-$1")
  port=$(free_port)
  _output/bin/kube-apiserver --etcd-servers "$etcd" --bind-address 127.0.0.1 --secure-port "$port" \
    --cert-dir "$work/$1-certs" --token-auth-file "$work/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$work/sa.key" \
    --service-account-signing-key-file "$work/sa.key" --service-cluster-ip-range 10.96.0.0/12 \
    >"$work/$1.log" 2>&1 &
  apiserver=$!; pids+=($apiserver)
  kubeconfig_for "https://127.0.0.1:$port" "$work/$1.kubeconfig"
  wait_ready "$work/$1.kubeconfig"
}

# start_kybernetes_apiserver NAME [flags]: `kybernetes apiserver` with
# embedded etcd; sets $apiserver and writes $work/NAME.kubeconfig.
start_kybernetes_apiserver() {
  local name=$1 port
  shift
  port=$(free_port)
  bin/kybernetes apiserver --data-dir "$work/$name" --secure-port "$port" --token-auth-file "$work/tokens.csv" "$@" \
    >"$work/$name.log" 2>&1 &
  apiserver=$!; pids+=($apiserver)
  kubeconfig_for "https://127.0.0.1:$port" "$work/$name.kubeconfig"
  wait_ready "$work/$name.kubeconfig"
}
