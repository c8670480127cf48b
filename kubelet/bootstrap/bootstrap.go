// Package bootstrap is kubelet TLS bootstrap (--bootstrap-kubeconfig): a
// new node that has only a bootstrap credential (a bootstrap token, say)
// asks the cluster for its own client certificate through a
// CertificateSigningRequest to the kube-apiserver-client-kubelet signer,
// waits until it is approved and signed, keeps it in --cert-dir as
// kubelet-client-current.pem and writes --kubeconfig to use it, as
// upstream's kubelet does. A kubeconfig whose certificate is still valid is
// used as it is; so is a valid certificate already in --cert-dir.
package bootstrap

import (
	"context"
	"crypto"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/certificate"
	"k8s.io/client-go/util/certificate/csr"
	"k8s.io/client-go/util/keyutil"
	"k8s.io/klog/v2"
)

// pairName is the file-store name of the kubelet's client pair:
// <cert-dir>/kubelet-client-current.pem, as upstream.
const pairName = "kubelet-client"

// LoadClientCert makes sure kubeconfigPath holds valid credentials for
// node nodeName, bootstrapping them with the credentials in bootstrapPath
// when it does not. It waits for the request's approval until ctx ends.
func LoadClientCert(ctx context.Context, kubeconfigPath, bootstrapPath, certDir, nodeName string) error {
	if valid, err := kubeconfigValid(kubeconfigPath); err != nil {
		klog.InfoS("Bootstrapping: the kubeconfig is not usable", "path", kubeconfigPath, "err", err)
	} else if valid {
		klog.V(2).InfoS("Kubeconfig has a valid client certificate; not bootstrapping", "path", kubeconfigPath)
		return nil
	}
	bootstrapConfig, err := clientcmd.BuildConfigFromFlags("", bootstrapPath)
	if err != nil {
		return fmt.Errorf("--bootstrap-kubeconfig: %w", err)
	}
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return err
	}
	store, err := certificate.NewFileStore(pairName, certDir, certDir, "", "")
	if err != nil {
		return fmt.Errorf("--cert-dir: %w", err)
	}
	if current, err := store.Current(); err == nil && current.Leaf != nil && time.Now().Before(current.Leaf.NotAfter) {
		klog.InfoS("Using the client certificate already in --cert-dir", "path", store.CurrentPath())
		return writeKubeconfig(kubeconfigPath, bootstrapConfig, store.CurrentPath())
	}

	// The key is kept while waiting, so that a kubelet restarted before
	// approval asks again with the same request (same name) instead of
	// piling up new ones.
	keyPath := filepath.Join(certDir, pairName+".key.tmp")
	keyPEM, _, err := keyutil.LoadOrGenerateKeyFile(keyPath)
	if err != nil {
		return err
	}
	key, err := keyutil.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return fmt.Errorf("%s: %w", keyPath, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return fmt.Errorf("%s: not a signing key", keyPath)
	}
	subject := &pkix.Name{CommonName: "system:node:" + nodeName, Organization: []string{"system:nodes"}}
	request, err := certutil.MakeCSR(signer, subject, nil, nil)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(bootstrapConfig)
	if err != nil {
		return err
	}
	usages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	name, err := requestName(signer.Public(), subject, usages)
	if err != nil {
		return err
	}
	reqName, reqUID, err := csr.RequestCertificateWithContext(ctx, client, request, name, certificatesv1.KubeAPIServerClientKubeletSignerName, nil, usages, signer)
	if err != nil {
		return err
	}
	klog.InfoS("Waiting for the client certificate request to be approved and signed", "csr", reqName)
	certPEM, err := csr.WaitForCertificate(ctx, client, reqName, reqUID)
	if err != nil {
		return fmt.Errorf("waiting for certificatesigningrequest %s: %w", reqName, err)
	}
	if _, err := store.Update(certPEM, keyPEM); err != nil {
		return err
	}
	if err := os.Remove(keyPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		klog.ErrorS(err, "Removing the bootstrap key", "path", keyPath)
	}
	klog.InfoS("Got the node's client certificate", "csr", reqName, "path", store.CurrentPath())
	return writeKubeconfig(kubeconfigPath, bootstrapConfig, store.CurrentPath())
}

// requestName is the same for the same key, subject and usages, so a
// request made again finds the first (upstream names them node-csr-<digest>).
func requestName(public crypto.PublicKey, subject *pkix.Name, usages []certificatesv1.KeyUsage) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(public)
	if err != nil {
		return "", err
	}
	h := sha512.New512_256()
	h.Write(der)
	fmt.Fprintf(h, "%s|%v|%v", subject.CommonName, subject.Organization, usages)
	return "node-csr-" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
}

// kubeconfigValid reports whether path is a kubeconfig whose client
// certificate is valid now; a missing file is not an error.
func kubeconfigValid(path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	config, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return false, err
	}
	transportConfig, err := config.TransportConfig()
	if err != nil {
		return false, err
	}
	if !transportConfig.HasCertAuth() {
		// A token or other credential: not ours to judge.
		return true, nil
	}
	if err := loadTLSFiles(config); err != nil {
		return false, err
	}
	certs, err := certutil.ParseCertsPEM(config.CertData)
	if err != nil {
		return false, err
	}
	now := time.Now()
	for _, c := range certs {
		if now.After(c.NotAfter) {
			return false, fmt.Errorf("the client certificate expired at %s", c.NotAfter)
		}
	}
	return len(certs) > 0, nil
}

func loadTLSFiles(config *rest.Config) error {
	if len(config.CertData) > 0 || config.CertFile == "" {
		return nil
	}
	data, err := os.ReadFile(config.CertFile)
	config.CertData = data
	return err
}

// writeKubeconfig writes the kubelet's kubeconfig: the bootstrap
// configuration's server and CA, with the client pair at pairPath.
func writeKubeconfig(path string, bootstrap *rest.Config, pairPath string) error {
	cluster := &clientcmdapi.Cluster{Server: bootstrap.Host, InsecureSkipTLSVerify: bootstrap.Insecure,
		CertificateAuthority: bootstrap.CAFile, CertificateAuthorityData: bootstrap.CAData, TLSServerName: bootstrap.ServerName}
	config := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"default-cluster": cluster},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"default-auth": {ClientCertificate: pairPath, ClientKey: pairPath}},
		Contexts:       map[string]*clientcmdapi.Context{"default-context": {Cluster: "default-cluster", AuthInfo: "default-auth", Namespace: "default"}},
		CurrentContext: "default-context",
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return clientcmd.WriteToFile(config, path)
}
