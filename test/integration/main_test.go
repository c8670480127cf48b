package integration

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// shared is the server most tests use; each test works in its own namespace.
var shared *framework.Server

func TestMain(m *testing.M) {
	os.Exit(runWithSharedServer(m))
}

func runWithSharedServer(m *testing.M) int {
	t := &mainTB{}
	shared = framework.Start(t, framework.Setup{})
	defer t.cleanup()
	return m.Run()
}

var namespaceCounter atomic.Int32

// newNamespace creates a namespace for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("it-%d", namespaceCounter.Add(1))
	_, err := shared.Client.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// waitForRootCA waits until the namespace has its kube-root-ca.crt
// ConfigMap, for tests that count the configmaps of a namespace.
func waitForRootCA(t *testing.T, ns string) {
	t.Helper()
	waitFor(t, "kube-root-ca.crt in "+ns, func(ctx context.Context) bool {
		_, err := shared.Client.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil
	})
}
