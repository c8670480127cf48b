# kybernetes: build, test, verify.
# The version comes from apis/version and the VCS stamp that go build
# records, so `make build` and a plain `go build` give the same binary.

.PHONY: all build kubectl kube-proxy kube-scheduler kube-controller-manager kubelet helm test unit integration e2e verify vet race bench clean

all: build

build:
	go build -o bin/kybernetes ./cmd/kybernetes

# Stock kubectl v1.37.2 for the e2e tests, built from the Go module proxy.
kubectl:
	hack/build-kubectl.sh _output/bin/kubectl

# Stock kube-proxy v1.37.2, which the e2e tests run against kybernetes.
kube-proxy:
	hack/build-kube-component.sh kube-proxy _output/bin/kube-proxy

# Stock kube-scheduler v1.37.2, which an e2e test runs against kybernetes.
kube-scheduler:
	hack/build-kube-component.sh kube-scheduler _output/bin/kube-scheduler

# Stock kubelet v1.37.2, which an e2e test runs with containerd against kybernetes.
kubelet:
	hack/build-kube-component.sh kubelet _output/bin/kubelet

# Stock helm v4.3.2, which an e2e test installs a chart with.
helm:
	hack/build-helm.sh _output/bin/helm

# Stock kube-controller-manager v1.37.2, which an e2e test runs against kybernetes.
kube-controller-manager:
	hack/build-kube-component.sh kube-controller-manager _output/bin/kube-controller-manager

# Everything the project claims: verify, unit (with -race on the packages
# with concurrency), integration (real apiserver + etcd in-process) and e2e
# (the real binary driven by stock kubectl).
test: verify unit integration e2e

verify: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	hack/verify-codegen.sh

vet:
	go vet ./...

unit:
	go test -race $$(go list ./... | grep -v /test/) ./test/netns/...

integration:
	go test -race -count=1 -timeout 20m ./test/integration/...

e2e: build kubectl kube-proxy kube-scheduler kube-controller-manager kubelet helm
	KYBERNETES_BIN=$(CURDIR)/bin/kybernetes KUBECTL_BIN=$(CURDIR)/_output/bin/kubectl \
		KUBE_PROXY_BIN=$(CURDIR)/_output/bin/kube-proxy KUBE_SCHEDULER_BIN=$(CURDIR)/_output/bin/kube-scheduler \
		KUBE_CONTROLLER_MANAGER_BIN=$(CURDIR)/_output/bin/kube-controller-manager HELM_BIN=$(CURDIR)/_output/bin/helm \
		KUBELET_BIN=$(CURDIR)/_output/bin/kubelet \
		go test -count=1 -timeout 20m ./test/e2e/...

bench:
	go test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin _output
