package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"os"
	"path/filepath"
)

// The front proxy's files, under <pki dir>/front-proxy: a CA of its own (as
// kubeadm's front-proxy-ca) and the client certificate the aggregator
// presents to extension API servers, which trust requests signed by that
// CA to carry the user in X-Remote-* headers.
const (
	FrontProxyDir        = "front-proxy"
	FrontProxyClientCert = "front-proxy-client.crt"
	FrontProxyClientKey  = "front-proxy-client.key"
	// FrontProxyClientName is the client certificate's common name, the
	// one allowed name extension servers are told to accept.
	FrontProxyClientName = "front-proxy-client"
)

// FrontProxyFiles are the paths of the front proxy's CA and client
// certificate.
type FrontProxyFiles struct{ CA, ClientCert, ClientKey string }

// EnsureFrontProxy makes the front proxy's CA and client certificate in
// <pkiDir>/front-proxy, unless they exist.
func EnsureFrontProxy(pkiDir string) (FrontProxyFiles, error) {
	dir := filepath.Join(pkiDir, FrontProxyDir)
	files := FrontProxyFiles{CA: filepath.Join(dir, CACert), ClientCert: filepath.Join(dir, FrontProxyClientCert), ClientKey: filepath.Join(dir, FrontProxyClientKey)}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return files, err
	}
	ca, caKey, err := loadOrCreateCA(dir)
	if err != nil {
		return files, fmt.Errorf("front proxy certificate authority: %w", err)
	}
	if _, err := loadCert(files.ClientCert); err != nil {
		if err := issue(ca, caKey, dir, FrontProxyClientCert, FrontProxyClientKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: FrontProxyClientName},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}); err != nil {
			return files, fmt.Errorf("front proxy client certificate: %w", err)
		}
	}
	return files, nil
}
