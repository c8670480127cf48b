package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// The stock kube-controller-manager v1.37.2, unmodified, against
// `kybernetes apiserver` with the kubeconfig the server writes for a
// controller manager (system:kube-controller-manager), each controller as
// its own service account bound to kybernetes's copies of upstream's
// roles: it leads, fills a new namespace with its account and CA bundle,
// rolls a Deployment out into pods, fills a token Secret, and logs no
// watch it could not keep nor a request it was refused.
func TestStockKubeControllerManager(t *testing.T) {
	r := newStockRun(t)
	kubeconfig := filepath.Join(r.data, "controller-manager.kubeconfig")
	pki := filepath.Join(r.data, "pki")
	_, managerLog := r.start("kube-controller-manager", kubeControllerManagerBin, "--kubeconfig", kubeconfig,
		"--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
		"--use-service-account-credentials=true", "--leader-elect=true",
		"--service-account-private-key-file", filepath.Join(pki, "sa.key"), "--root-ca-file", filepath.Join(pki, "ca.crt"),
		"--cluster-signing-cert-file", filepath.Join(pki, "ca.crt"), "--cluster-signing-key-file", filepath.Join(pki, "ca.key"))
	r.waitUntil("the kube-controller-manager lease", func() bool {
		return r.get("-n", "kube-system", "get", "lease", "kube-controller-manager", "-o", "jsonpath={.spec.holderIdentity}") != ""
	})

	r.kc("", "create", "namespace", "stock")
	r.waitUntil("the default account and CA bundle of stock", func() bool {
		return r.get("-n", "stock", "get", "serviceaccount/default", "configmap/kube-root-ca.crt", "-o", "name") ==
			"serviceaccount/default\nconfigmap/kube-root-ca.crt\n"
	})
	r.kc("", "-n", "stock", "create", "deployment", "web", "--image=busybox:1.36", "--replicas=2")
	r.waitUntil("web's two pods", func() bool {
		return len(strings.Fields(r.get("-n", "stock", "get", "pods", "-l", "app=web", "-o", "name"))) == 2
	})
	mustContain(t, r.kc("", "-n", "stock", "get", "replicasets", "-l", "app=web"), "web-")
	r.kc(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"ci-token","annotations":{"kubernetes.io/service-account.name":"default"}},
	  "type":"kubernetes.io/service-account-token"}`, "-n", "stock", "create", "-f", "-")
	r.waitUntil("the token Secret filled", func() bool {
		return r.get("-n", "stock", "get", "secret", "ci-token", "-o", "jsonpath={.data.token}") != ""
	})
	// The controllers ran as their own accounts.
	mustContain(t, r.kc("", "-n", "kube-system", "get", "serviceaccounts"), "deployment-controller", "replicaset-controller", "namespace-controller")

	if found := logProblems(managerLog()); len(found) > 0 {
		t.Errorf("kube-controller-manager logged:\n%s", strings.Join(found, "\n"))
	}
}
