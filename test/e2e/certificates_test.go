package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCertificateApproveWithKubectl: a user's client certificate the way
// the Kubernetes documentation issues one — a CertificateSigningRequest
// applied with stock kubectl, `kubectl certificate approve`, the
// certificate signed by the controller manager of `kybernetes server` and
// then used by kubectl; `kubectl certificate deny` on another; the CSR
// columns.
func TestCertificateApproveWithKubectl(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "e2e-dave", Organization: []string{"e2e-team"}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	request := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	manifest := func(name string) string {
		return `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ` + name + `
spec:
  request: ` + request + `
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: ["client auth"]
`
	}
	for _, name := range []string{"e2e-dave", "e2e-dave-denied"} {
		mustContain(t, kIn(t, manifest(name), "apply", "-f", "-"), "certificatesigningrequest.certificates.k8s.io/"+name+" created")
		t.Cleanup(func() { _, _, _ = kubectl(t, "", nil, "delete", "csr", name) })
	}
	rows := fields(k(t, "get", "csr", "e2e-dave"))
	if strings.Join(rows[0], " ") != "NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION" {
		t.Fatalf("get csr header: %v", rows[0])
	}
	if got := strings.Join(rows[1][2:], " "); got != "kubernetes.io/kube-apiserver-client kybernetes-admin 24h Pending" {
		t.Errorf("get csr row: %v", rows[1])
	}

	mustContain(t, k(t, "certificate", "approve", "e2e-dave"), "certificatesigningrequest.certificates.k8s.io/e2e-dave approved")
	mustContain(t, k(t, "certificate", "deny", "e2e-dave-denied"), "certificatesigningrequest.certificates.k8s.io/e2e-dave-denied denied")

	var certData string
	deadline := time.Now().Add(30 * time.Second)
	for certData == "" {
		certData = k(t, "get", "csr", "e2e-dave", "-o", "jsonpath={.status.certificate}")
		if certData == "" && time.Now().After(deadline) {
			t.Fatal("the approved request was not signed within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	certPEM, err := base64.StdEncoding.DecodeString(certData)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "dave.crt"), filepath.Join(dir, "dave.key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	server := k(t, "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	caData := k(t, "config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}")
	ca, err := base64.StdEncoding.DecodeString(caData)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	whoami := k(t, "--kubeconfig", os.DevNull, "--server", server, "--certificate-authority", caFile,
		"--client-certificate", certFile, "--client-key", keyFile, "auth", "whoami")
	mustContain(t, whoami, "e2e-dave", "e2e-team")

	rows = fields(k(t, "get", "csr", "e2e-dave", "e2e-dave-denied"))
	if rows[1][len(rows[1])-1] != "Approved,Issued" || rows[2][len(rows[2])-1] != "Denied" {
		t.Errorf("conditions after approve and deny: %v", rows)
	}
	// A decision is final: kubectl will not approve a denied request (the
	// server's refusal of one is in the integration test).
	mustContain(t, kFails(t, "", "certificate", "approve", "e2e-dave-denied"), `certificate signing request "e2e-dave-denied" is already Denied`)
}
