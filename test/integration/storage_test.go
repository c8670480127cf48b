package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kybernetes/kybernetes/registry"
)

// Objects are stored in etcd as kube-apiserver stores them: protobuf (the
// "k8s\x00" envelope) under /registry/<resource>/<namespace>/<name>.
func TestObjectsAreStoredAsProtobuf(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if _, err := shared.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "stored"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	etcd := shared.Etcd(t)
	for key, wantType := range map[string]string{
		"/registry/configmaps/" + ns + "/stored": "ConfigMap",
		"/registry/namespaces/" + ns:             "Namespace",
	} {
		resp, err := etcd.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) != 1 {
			t.Fatalf("%s: %d keys", key, len(resp.Kvs))
		}
		value := resp.Kvs[0].Value
		if !bytes.HasPrefix(value, []byte("k8s\x00")) || !bytes.Contains(value, []byte(wantType)) {
			t.Fatalf("%s is not a protobuf %s: %q", key, wantType, value[:min(len(value), 40)])
		}
	}
}

// Secrets are encrypted at rest by default, with a key the server writes
// in its data directory; other objects are not; the API reads them back.
func TestSecretsAreEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if _, err := shared.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "token"}, StringData: map[string]string{"password": "hunter2-plaintext"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := shared.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Data: map[string]string{"k": "visible-plaintext"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	etcd := shared.Etcd(t)
	raw := func(key string) []byte {
		resp, err := etcd.Get(ctx, key)
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("%s: %v, %d keys", key, err, len(resp.Kvs))
		}
		return resp.Kvs[0].Value
	}
	if secret := raw("/registry/secrets/" + ns + "/token"); !bytes.HasPrefix(secret, []byte("k8s:enc:secretbox:v1:key1:")) || bytes.Contains(secret, []byte("hunter2")) {
		t.Errorf("the stored Secret is not encrypted: %q", secret[:min(len(secret), 60)])
	}
	if cm := raw("/registry/configmaps/" + ns + "/plain"); !bytes.Contains(cm, []byte("visible-plaintext")) {
		t.Errorf("the ConfigMap is not stored as it is: %q", cm[:min(len(cm), 60)])
	}
	got, err := shared.Client.CoreV1().Secrets(ns).Get(ctx, "token", metav1.GetOptions{})
	if err != nil || string(got.Data["password"]) != "hunter2-plaintext" {
		t.Errorf("reading the Secret back: %v %q", err, got.Data)
	}
	info, err := os.Stat(filepath.Join(shared.Options.DataDir, registry.EncryptionConfigFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the encryption configuration in the data directory: %v %v", info, err)
	}
}

// The embedded etcd answers only TLS clients with a certificate of its own
// CA: not a plain client, not one with the cluster CA's admin certificate.
func TestEmbeddedEtcdAdmitsOnlyTheAPIServer(t *testing.T) {
	ctx := context.Background()
	try := func(config clientv3.Config) error {
		config.Endpoints, config.DialTimeout = shared.EtcdEndpoints, 2*time.Second
		client, err := clientv3.New(config)
		if err != nil {
			return err
		}
		defer client.Close()
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		_, err = client.Get(ctx, "/registry/secrets", clientv3.WithPrefix(), clientv3.WithCountOnly())
		return err
	}
	if !strings.HasPrefix(shared.EtcdEndpoints[0], "https://127.0.0.1:") {
		t.Errorf("the embedded etcd serves on %s, want https on loopback", shared.EtcdEndpoints[0])
	}
	if err := try(clientv3.Config{}); err == nil {
		t.Error("a plain client read etcd")
	}
	pkiDir := filepath.Join(shared.Options.DataDir, "pki")
	admin, err := tls.LoadX509KeyPair(filepath.Join(pkiDir, "admin.crt"), filepath.Join(pkiDir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := try(clientv3.Config{TLS: &tls.Config{Certificates: []tls.Certificate{admin}, InsecureSkipVerify: true}}); err == nil {
		t.Error("the cluster admin's certificate opened etcd")
	}
	if err := try(clientv3.Config{TLS: mustClientConfig(t)}); err != nil {
		t.Errorf("the API server's etcd client certificate: %v", err)
	}
	for _, name := range []string{"ca.key", "server.key", "apiserver-etcd-client.key"} {
		if info, err := os.Stat(filepath.Join(pkiDir, "etcd", name)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("pki/etcd/%s: %v %v", name, info, err)
		}
	}
}

func mustClientConfig(t *testing.T) *tls.Config {
	t.Helper()
	config, err := shared.EtcdTLS.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	return config
}
