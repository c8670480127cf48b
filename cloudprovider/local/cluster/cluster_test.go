package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func TestSpecRemembersTheLastUp(t *testing.T) {
	d := dataDir(t.TempDir())
	defaults := Options{Nodes: 1, Runtime: RuntimeRunc, NodeNetwork: "10.250.0.0/24", ClusterCIDR: "10.244.0.0/16"}
	s, err := resolveSpec(d, defaults)
	if err != nil || s.Nodes != 1 || s.Runtime != RuntimeRunc {
		t.Fatalf("first up: %+v, %v", s, err)
	}
	if err := writeSpec(d, spec{Nodes: 3, Runtime: RuntimeFake, NodeNetwork: "10.251.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	s, err = resolveSpec(d, defaults)
	if err != nil || s.Nodes != 3 || s.Runtime != RuntimeFake || s.NodeNetwork != "10.251.0.0/24" {
		t.Errorf("up again without flags: %+v, %v", s, err)
	}
	given := defaults
	given.Nodes = 5
	given.Changed = func(flag string) bool { return flag == "nodes" }
	if s, _ := resolveSpec(d, given); s.Nodes != 5 || s.Runtime != RuntimeFake {
		t.Errorf("--nodes 5 on a 3-node cluster: %+v", s)
	}
	for _, bad := range []Options{{Nodes: 0, Runtime: RuntimeRunc}, {Nodes: 1, Runtime: "docker"}} {
		bad.Changed = func(string) bool { return true }
		if _, err := resolveSpec(d, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestMissingSaysHowToGetIt(t *testing.T) {
	got := strings.Join(missing("no-such-runc-binary"), "\n")
	if !strings.Contains(got, "no-such-runc-binary: not found (apt-get install runc)") {
		t.Errorf("missing runc not reported:\n%s", got)
	}
}

func TestKubeconfigMergeKeepsTheUsersContexts(t *testing.T) {
	dir := t.TempDir()
	admin := clientcmdapi.NewConfig()
	admin.Clusters["kybernetes"] = &clientcmdapi.Cluster{Server: "https://10.250.0.1:6443", CertificateAuthorityData: []byte("ca")}
	admin.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: []byte("cert"), ClientKeyData: []byte("key")}
	admin.Contexts["admin@kybernetes"] = &clientcmdapi.Context{Cluster: "kybernetes", AuthInfo: "admin", Namespace: "default"}
	admin.CurrentContext = "admin@kybernetes"
	adminPath := filepath.Join(dir, "admin.kubeconfig")
	if err := clientcmd.WriteToFile(*admin, adminPath); err != nil {
		t.Fatal(err)
	}
	user := clientcmdapi.NewConfig()
	user.Clusters["prod"] = &clientcmdapi.Cluster{Server: "https://prod.example"}
	user.Contexts["prod"] = &clientcmdapi.Context{Cluster: "prod"}
	user.CurrentContext = "prod"
	userPath := filepath.Join(dir, "home", ".kube", "config")
	if err := os.MkdirAll(filepath.Dir(userPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*user, userPath); err != nil {
		t.Fatal(err)
	}
	for range 2 { // merging again changes nothing
		if err := mergeKubeconfig(adminPath, userPath); err != nil {
			t.Fatal(err)
		}
	}
	got, err := clientcmd.LoadFromFile(userPath)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != ContextName || got.Contexts["prod"] == nil || got.Clusters["prod"].Server != "https://prod.example" {
		t.Errorf("merged kubeconfig lost the user's context or is not current: %+v", got)
	}
	if c := got.Clusters[ContextName]; c == nil || c.Server != "https://10.250.0.1:6443" || string(c.CertificateAuthorityData) != "ca" {
		t.Errorf("cluster %s: %+v", ContextName, c)
	}
	if a := got.AuthInfos[ContextName]; a == nil || string(a.ClientCertificateData) != "cert" {
		t.Errorf("user %s: %+v", ContextName, a)
	}
	if ctx := got.Contexts[ContextName]; ctx == nil || ctx.Namespace != "default" || ctx.AuthInfo != ContextName {
		t.Errorf("context %s: %+v", ContextName, ctx)
	}
	// A new file is made where there is none.
	fresh := filepath.Join(dir, "fresh", "config")
	if err := mergeKubeconfig(adminPath, fresh); err != nil {
		t.Fatal(err)
	}
	if got, err := clientcmd.LoadFromFile(fresh); err != nil || got.CurrentContext != ContextName {
		t.Errorf("fresh kubeconfig: %+v, %v", got, err)
	}
}
