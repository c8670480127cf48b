# kybernetes: build, test, verify.
KUBE_VERSION  := v1.37.2
KYB_VERSION   := 0.1.0
VERSION       := $(KUBE_VERSION)+kyb.$(KYB_VERSION)
VERSION_PKG   := k8s.io/component-base/version
LDFLAGS       := -X $(VERSION_PKG).gitVersion=$(VERSION) \
                 -X $(VERSION_PKG).gitMajor=1 -X $(VERSION_PKG).gitMinor=37 \
                 -X $(VERSION_PKG).gitTreeState=clean \
                 -X $(VERSION_PKG).gitCommit=$(shell git rev-parse HEAD 2>/dev/null) \
                 -X $(VERSION_PKG).buildDate=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)
export LDFLAGS

.PHONY: all build kubectl test unit integration e2e verify vet race bench clean

all: build

build:
	go build -ldflags "$(LDFLAGS)" -o bin/kybernetes ./cmd/kybernetes

# Stock kubectl v1.37.2 for the e2e tests, built from the Go module proxy.
kubectl:
	hack/build-kubectl.sh _output/bin/kubectl

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
	go test -race $$(go list ./... | grep -v /test/)

integration:
	go test -race -count=1 -timeout 20m ./test/integration/...

e2e: build kubectl
	KYBERNETES_BIN=$(CURDIR)/bin/kybernetes KUBECTL_BIN=$(CURDIR)/_output/bin/kubectl \
		go test -count=1 -timeout 20m ./test/e2e/...

bench:
	go test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin _output
