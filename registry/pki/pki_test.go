package pki

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	certutil "k8s.io/client-go/util/cert"
)

func TestEnsureCreatesThenReuses(t *testing.T) {
	dir := t.TempDir()
	req := Request{Dir: dir, DNSNames: []string{"localhost", "kubernetes.default.svc"}, IPs: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}}
	if err := Ensure(req); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, name := range []string{CACert, CAKey, ServingCert, ServingKey, AdminCert, AdminKey} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", name, info.Mode().Perm())
		}
	}
	ca, _ := certutil.ParseCertsPEM(read(CACert))
	pool := x509.NewCertPool()
	pool.AddCert(ca[0])

	serving, _ := certutil.ParseCertsPEM(read(ServingCert))
	if _, err := serving[0].Verify(x509.VerifyOptions{Roots: pool, DNSName: "kubernetes.default.svc"}); err != nil {
		t.Fatalf("serving certificate: %v", err)
	}
	admin, _ := certutil.ParseCertsPEM(read(AdminCert))
	if admin[0].Subject.CommonName != "kybernetes-admin" || admin[0].Subject.Organization[0] != "system:masters" {
		t.Fatalf("admin subject %v", admin[0].Subject)
	}
	if _, err := admin[0].Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("admin certificate: %v", err)
	}

	// A restart with the same names keeps every file.
	before := read(ServingCert)
	if err := Ensure(req); err != nil {
		t.Fatal(err)
	}
	if string(read(ServingCert)) != string(before) {
		t.Fatal("serving certificate re-issued although its names still cover the request")
	}

	// A new advertise address re-issues the serving certificate from the same CA.
	req.IPs = append(req.IPs, net.ParseIP("192.0.2.10"))
	caBefore := read(CACert)
	if err := Ensure(req); err != nil {
		t.Fatal(err)
	}
	if string(read(CACert)) != string(caBefore) {
		t.Fatal("CA replaced")
	}
	serving, _ = certutil.ParseCertsPEM(read(ServingCert))
	if _, err := serving[0].Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if !covers(serving[0], req) {
		t.Fatal("re-issued certificate lacks the new address")
	}
}
