package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// The embedded etcd's files, under <pki dir>/etcd: a CA of its own (as
// kubeadm's), so that no client certificate of the cluster's CA — a
// kubelet's, an admin's — opens etcd; only the API server's etcd client
// certificate does.
const (
	EtcdDir        = "etcd"
	EtcdServerCert = "server.crt"
	EtcdServerKey  = "server.key"
	EtcdClientCert = "apiserver-etcd-client.crt"
	EtcdClientKey  = "apiserver-etcd-client.key"
)

// EtcdFiles are the paths of the embedded etcd's CA, server and client
// certificates.
type EtcdFiles struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// EnsureEtcd makes the embedded etcd's CA, its serving certificate (for
// loopback, also its peer certificate) and the API server's client
// certificate in <pkiDir>/etcd, unless they exist.
func EnsureEtcd(pkiDir string) (EtcdFiles, error) {
	dir := filepath.Join(pkiDir, EtcdDir)
	files := EtcdFiles{CA: filepath.Join(dir, CACert), ServerCert: filepath.Join(dir, EtcdServerCert), ServerKey: filepath.Join(dir, EtcdServerKey),
		ClientCert: filepath.Join(dir, EtcdClientCert), ClientKey: filepath.Join(dir, EtcdClientKey)}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return files, err
	}
	ca, caKey, err := loadOrCreateCA(dir)
	if err != nil {
		return files, fmt.Errorf("etcd certificate authority: %w", err)
	}
	if _, err := loadCert(files.ServerCert); err != nil {
		if err := issue(ca, caKey, dir, EtcdServerCert, EtcdServerKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: "kybernetes-etcd"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			DNSNames:    []string{"localhost"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		}); err != nil {
			return files, fmt.Errorf("etcd serving certificate: %w", err)
		}
	}
	if _, err := loadCert(files.ClientCert); err != nil {
		if err := issue(ca, caKey, dir, EtcdClientCert, EtcdClientKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: "kube-apiserver-etcd-client"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}); err != nil {
			return files, fmt.Errorf("etcd client certificate: %w", err)
		}
	}
	return files, nil
}
