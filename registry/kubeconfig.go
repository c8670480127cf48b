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

// writeComponentKubeconfigs writes <data-dir>/controller-manager.kubeconfig
// and scheduler.kubeconfig: the credentials of the controller manager
// (system:kube-controller-manager) and the scheduler (system:kube-scheduler),
// which kybernetes server runs its own with, and a stock one may use.
func writeComponentKubeconfigs(o *Options, serverURL string) error {
	if err := writeKubeconfig(o, o.ControllerManagerKubeconfigPath(), serverURL, "kube-controller-manager", pki.ControllerManagerCert, pki.ControllerManagerKey, ""); err != nil {
		return err
	}
	return writeKubeconfig(o, o.SchedulerKubeconfigPath(), serverURL, "kube-scheduler", pki.SchedulerCert, pki.SchedulerKey, "")
}

func writeKubeconfig(o *Options, path, serverURL, user, certName, keyName, namespace string) error {
	return writeKubeconfigWith(o, path, serverURL, user, filepath.Join(o.pkiDir(), certName), filepath.Join(o.pkiDir(), keyName), namespace)
}

func writeKubeconfigWith(o *Options, path, serverURL, user, certPath, keyPath, namespace string) error {
	ca, err := os.ReadFile(filepath.Join(o.pkiDir(), pki.CACert))
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(certPath)
	if err != nil {
		return err
	}
	key, err := os.ReadFile(keyPath)
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

// WriteNodeKubeconfig writes, at path, the kubeconfig of the kubelet of
// node: the server and CA of dataDir's kubelet.kubeconfig with a client
// certificate of the node's own (system:node:<node>), so that the Node
// authorizer lets it read what that node's pods use. The server must have
// started once on dataDir.
func WriteNodeKubeconfig(dataDir, node, path string) error {
	o := &Options{DataDir: dataDir}
	base, err := clientcmd.LoadFromFile(o.KubeletKubeconfigPath())
	if err != nil {
		return err
	}
	cluster := base.Clusters[base.Contexts[base.CurrentContext].Cluster]
	if cluster == nil {
		return os.ErrNotExist
	}
	certPath, keyPath, err := pki.IssueNodeClient(o.pkiDir(), node)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return writeKubeconfigWith(o, path, cluster.Server, "kubelet", certPath, keyPath, "")
}
