package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kybernetes/kybernetes/registry"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

func TestObjectsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	first := framework.Start(t, framework.Setup{DataDir: dataDir, WithoutControllers: true})

	cm, err := first.Client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "persistent"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := first.Client.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "persistent"}, Data: map[string][]byte{"k": []byte("v")}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	svc, err := first.Client.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "persistent"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// A second server on a data directory in use is refused at once.
	opts := registry.NewOptions()
	opts.DataDir, opts.SecureServing.BindPort = dataDir, 0
	if err := framework.RunError(t, opts); err == nil || !strings.Contains(err.Error(), "in use by another kybernetes server") {
		t.Fatalf("second server on the same data dir: %v", err)
	}

	first.Stop()
	second := framework.Start(t, framework.Setup{DataDir: dataDir, WithoutControllers: true})
	got, err := second.Client.CoreV1().ConfigMaps("default").Get(ctx, "persistent", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.ResourceVersion != cm.ResourceVersion || got.UID != cm.UID || got.Data["k"] != "v" {
		t.Fatalf("after restart: rv %s uid %s data %v; before: rv %s uid %s",
			got.ResourceVersion, got.UID, got.Data, cm.ResourceVersion, cm.UID)
	}
	gotSecret, err := second.Client.CoreV1().Secrets("default").Get(ctx, "persistent", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gotSecret.ResourceVersion != secret.ResourceVersion || string(gotSecret.Data["k"]) != "v" {
		t.Fatalf("secret after restart: rv %s data %v", gotSecret.ResourceVersion, gotSecret.Data)
	}

	// Allocations survive the restart: the service's IP and node port are
	// still taken.
	clash := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "clash"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: svc.Spec.ClusterIP,
			Ports: []corev1.ServicePort{{Port: 80, NodePort: svc.Spec.Ports[0].NodePort}}}}
	_, err = second.Client.CoreV1().Services("default").Create(ctx, clash, metav1.CreateOptions{})
	if !strings.Contains(fmt.Sprint(err), "already allocated") {
		t.Fatalf("creating a service on the IP and node port of one from before the restart: %v", err)
	}

	// The new server's watch cache starts after the configmap's version: a
	// client resuming a watch from it is told 410 Gone and must relist.
	if !watchIsGone(ctx, second.Client.CoreV1().ConfigMaps("default"), cm.ResourceVersion) {
		t.Fatalf("a watch from resourceVersion %s, older than the restarted server's cache, was not 410 Gone", cm.ResourceVersion)
	}
}
