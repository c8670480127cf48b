#!/usr/bin/env bash
# Measures kybernetes's controller manager and a stock
# kube-controller-manager v1.37.2 rolling out the same Deployments, in one
# run, so the figures read as ratios. Each controller manager runs in turn
# against a fresh `kybernetes apiserver` (embedded etcd) on loopback; the
# load is hack/deploybench: a Deployment of each of REPLICAS, a stand-in
# kubelet writing every pod Running and Ready, the time until all pods
# exist and until the Deployment is Available, and the controller
# manager's CPU seconds per 1000 pods. About 4 minutes after the first
# build of kube-controller-manager.
#
#   REPLICAS=100,1000 hack/benchmark-controllers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
replicas=${REPLICAS:-100,1000}

make build >/dev/null
hack/build-kubectl.sh _output/bin/kubectl >/dev/null
hack/build-baseline.sh >/dev/null
go build -o _output/bin/deploybench ./hack/deploybench

source hack/lib/bench.sh

run() { # name command...
  local name=$1; shift
  start_kybernetes_apiserver "$name-apiserver"
  kubeconfig="$work/$name-apiserver.kubeconfig"
  "$@" --kubeconfig "$kubeconfig" >"$work/$name.log" 2>&1 &
  local manager=$!; pids+=($manager)
  sleep 3 # informers synced
  echo "== $name"
  _output/bin/deploybench --kubeconfig "$kubeconfig" --pid "$manager" --replicas "$replicas" | tee "$work/$name.txt"
  echo "   RSS after: $(( $(ps -o rss= -p "$manager") / 1024 )) MiB"
  kill "$manager" "$apiserver"; wait "$manager" "$apiserver" 2>/dev/null || true
}

# kube-controller-manager twice: with its defaults (20 requests/s to the API
# server, burst 30) and with the client limits kybernetes uses (100, burst
# 200), so that the second comparison is of the controllers' work alone.
run kube-controller-manager _output/bin/kube-controller-manager --leader-elect=false --secure-port=0
run kube-controller-manager-qps100 _output/bin/kube-controller-manager --leader-elect=false --secure-port=0 \
  --kube-api-qps=100 --kube-api-burst=200
run kybernetes bin/kybernetes controller-manager --leader-elect=false --secure-port=0

for baseline in kube-controller-manager kube-controller-manager-qps100; do
  echo "== kybernetes relative to $baseline (lower is better)"
  awk 'function s(x) { if (x ~ /ms$/) return substr(x, 1, length(x)-2)/1000; if (x ~ /m/) { split(x, a, "m"); return a[1]*60 + substr(a[2], 1, length(a[2])-1) } return substr(x, 1, length(x)-1) }
    FNR==1 { next }
    FILENAME == base { pods[$1]=s($2); avail[$1]=s($3); cpu[$1]=s($4); next }
    { printf "replicas %-5s all pods %.2fx   available %.2fx   cpu %.2fx\n", $1, s($2)/pods[$1], s($3)/avail[$1], s($4)/cpu[$1] }' \
    base="$work/$baseline.txt" "$work/$baseline.txt" "$work/kybernetes.txt"
done
