// Package pki creates, on a server's first start, the certificate authority,
// the serving certificate and the admin client certificate that make a
// kybernetes API server secure from the first request, and reloads them on
// later starts. Every file is written with mode 0600.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/apiserver/pkg/authentication/user"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// File names inside the PKI directory.
const (
	CACert      = "ca.crt"
	CAKey       = "ca.key"
	ServingCert = "apiserver.crt"
	ServingKey  = "apiserver.key"
	AdminCert   = "admin.crt"
	AdminKey    = "admin.key"
	// The API server's client certificate towards kubelets (logs, exec, ...).
	KubeletClientCert = "apiserver-kubelet-client.crt"
	KubeletClientKey  = "apiserver-kubelet-client.key"
	// The kubelet's client certificate: system:node:<name> in system:nodes.
	NodeCert = "kubelet-node.crt"
	NodeKey  = "kubelet-node.key"
	// The service proxy's client certificate: upstream's system:kube-proxy.
	ProxyCert = "kube-proxy.crt"
	ProxyKey  = "kube-proxy.key"
	// The controller manager's and the scheduler's client certificates:
	// upstream's system:kube-controller-manager and system:kube-scheduler.
	ControllerManagerCert = "controller-manager.crt"
	ControllerManagerKey  = "controller-manager.key"
	SchedulerCert         = "scheduler.crt"
	SchedulerKey          = "scheduler.key"
)

// ProxyUser is the user node proxies authenticate as, upstream's name.
const ProxyUser = "system:kube-proxy"

const validity = 10 * 365 * 24 * time.Hour

// Request says what the serving certificate must cover.
type Request struct {
	// Dir holds the files.
	Dir string
	// DNSNames and IPs are the serving certificate's subject alternative
	// names; a certificate that lacks one of them is re-issued.
	DNSNames []string
	IPs      []net.IP
	// NodeName is the node whose kubelet credentials are made; a
	// certificate for another name is re-issued.
	NodeName string
}

// Ensure makes sure the CA, serving and admin certificates exist in r.Dir,
// creating what is missing and re-issuing a serving certificate whose names
// no longer cover the request. The CA is never replaced once it exists.
func Ensure(r Request) error {
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return err
	}
	ca, caKey, err := loadOrCreateCA(r.Dir)
	if err != nil {
		return fmt.Errorf("certificate authority: %w", err)
	}
	serving := filepath.Join(r.Dir, ServingCert)
	if cert, err := loadCert(serving); err != nil || !covers(cert, r) {
		err := issue(ca, caKey, r.Dir, ServingCert, ServingKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: "kube-apiserver"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			DNSNames:    r.DNSNames,
			IPAddresses: r.IPs,
		})
		if err != nil {
			return fmt.Errorf("serving certificate: %w", err)
		}
	}
	for _, client := range []struct {
		cert, key, commonName, group string
	}{
		{AdminCert, AdminKey, "kybernetes-admin", "system:masters"},
		{KubeletClientCert, KubeletClientKey, "kube-apiserver-kubelet-client", "system:masters"},
		{ProxyCert, ProxyKey, ProxyUser, ""},
		{ControllerManagerCert, ControllerManagerKey, user.KubeControllerManager, ""},
		{SchedulerCert, SchedulerKey, user.KubeScheduler, ""},
	} {
		if _, err := loadCert(filepath.Join(r.Dir, client.cert)); err == nil {
			continue
		}
		err := issue(ca, caKey, r.Dir, client.cert, client.key, &x509.Certificate{
			Subject:     pkix.Name{CommonName: client.commonName, Organization: organization(client.group)},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		})
		if err != nil {
			return fmt.Errorf("%s certificate: %w", client.commonName, err)
		}
	}
	if r.NodeName != "" {
		commonName := "system:node:" + r.NodeName
		if cert, err := loadCert(filepath.Join(r.Dir, NodeCert)); err != nil || cert.Subject.CommonName != commonName {
			err := issue(ca, caKey, r.Dir, NodeCert, NodeKey, &x509.Certificate{
				Subject:     pkix.Name{CommonName: commonName, Organization: []string{"system:nodes"}},
				ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			})
			if err != nil {
				return fmt.Errorf("%s certificate: %w", commonName, err)
			}
		}
	}
	return nil
}

func loadOrCreateCA(dir string) (*x509.Certificate, crypto.Signer, error) {
	certPath, keyPath := filepath.Join(dir, CACert), filepath.Join(dir, CAKey)
	if cert, err := loadCert(certPath); err == nil {
		key, err := keyutil.PrivateKeyFromFile(keyPath)
		if err != nil {
			return nil, nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, nil, errors.New(keyPath + " is not a signing key")
		}
		return cert, signer, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: "kybernetes-ca"}, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writeKeyPair(certPath, keyPath, cert, key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func issue(ca *x509.Certificate, caKey crypto.Signer, dir, certName, keyName string, tmpl *x509.Certificate) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-time.Minute)
	tmpl.NotAfter = now.Add(validity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	return writeKeyPair(filepath.Join(dir, certName), filepath.Join(dir, keyName), cert, key)
}

func writeKeyPair(certPath, keyPath string, cert *x509.Certificate, key *ecdsa.PrivateKey) error {
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return err
	}
	certPEM, err := certutil.EncodeCertificates(cert)
	if err != nil {
		return err
	}
	return os.WriteFile(certPath, certPEM, 0o600)
}

func loadCert(path string) (*x509.Certificate, error) {
	certs, err := certutil.CertsFromFile(path)
	if err != nil {
		return nil, err
	}
	if time.Now().After(certs[0].NotAfter) {
		return nil, errors.New(path + " has expired")
	}
	return certs[0], nil
}

func covers(cert *x509.Certificate, r Request) bool {
	for _, name := range r.DNSNames {
		if !slices.Contains(cert.DNSNames, name) {
			return false
		}
	}
	for _, ip := range r.IPs {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

func organization(group string) []string {
	if group == "" {
		return nil
	}
	return []string{group}
}

// IssueNodeClient signs, with the CA in dir, a client certificate for the
// kubelet of node (system:node:<node> in system:nodes): each node's own
// identity, which the Node authorizer narrows to that node's pods. The
// files are NodeCert and NodeKey's names with the node's name in them.
func IssueNodeClient(dir, node string) (certPath, keyPath string, err error) {
	ca, caKey, err := loadOrCreateCA(dir)
	if err != nil {
		return "", "", err
	}
	certName, keyName := "kubelet-"+node+".crt", "kubelet-"+node+".key"
	certPath, keyPath = filepath.Join(dir, certName), filepath.Join(dir, keyName)
	commonName := "system:node:" + node
	if cert, err := loadCert(certPath); err == nil && cert.Subject.CommonName == commonName {
		return certPath, keyPath, nil
	}
	err = issue(ca, caKey, dir, certName, keyName, &x509.Certificate{
		Subject:     pkix.Name{CommonName: commonName, Organization: []string{"system:nodes"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return certPath, keyPath, err
}
