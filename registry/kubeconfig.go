package registry

import (
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kybernetes/kybernetes/registry/pki"
)

// writeAdminKubeconfig writes <data-dir>/admin.kubeconfig with the CA and the
// admin client certificate embedded, readable by its owner only.
func writeAdminKubeconfig(o *Options, serverURL string) error {
	return writeKubeconfig(o, o.KubeconfigPath(), serverURL, "kybernetes-admin", pki.AdminCert, pki.AdminKey, "default")
}

// writeKubeletKubeconfig writes <data-dir>/kubelet.kubeconfig: the
// credentials of this machine's kubelet (system:node:<hostname> in
// system:nodes), for `kybernetes kubelet --kubeconfig`.
func writeKubeletKubeconfig(o *Options, serverURL string) error {
	return writeKubeconfig(o, o.KubeletKubeconfigPath(), serverURL, "kubelet", pki.NodeCert, pki.NodeKey, "")
}

// writeProxyKubeconfig writes <data-dir>/proxy.kubeconfig: the credentials
// of node proxies (system:kube-proxy), for `kybernetes proxy --kubeconfig`
// or a stock kube-proxy.
func writeProxyKubeconfig(o *Options, serverURL string) error {
	return writeKubeconfig(o, o.ProxyKubeconfigPath(), serverURL, "kube-proxy", pki.ProxyCert, pki.ProxyKey, "")
}

func writeKubeconfig(o *Options, path, serverURL, user, certName, keyName, namespace string) error {
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(o.pkiDir(), name)) }
	ca, err := read(pki.CACert)
	if err != nil {
		return err
	}
	cert, err := read(certName)
	if err != nil {
		return err
	}
	key, err := read(keyName)
	if err != nil {
		return err
	}
	const name = "kybernetes"
	config := clientcmdapi.NewConfig()
	config.Clusters[name] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: ca}
	config.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	config.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user, Namespace: namespace}
	config.CurrentContext = name

	data, err := clientcmd.Write(*config)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
