package integration

import (
	"bytes"
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	etcd, err := clientv3.New(clientv3.Config{Endpoints: shared.EtcdEndpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
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
