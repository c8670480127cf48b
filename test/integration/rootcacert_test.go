package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Every namespace gets kube-root-ca.crt with the cluster CA; deleted or
// edited, it comes back as it was.
func TestRootCAConfigMapInEveryNamespace(t *testing.T) {
	ctx := context.Background()
	ca, err := os.ReadFile(filepath.Join(shared.Options.DataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	cms := shared.Client.CoreV1().ConfigMaps(ns)
	published := func(ctx context.Context) bool {
		cm, err := cms.Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil && cm.Data["ca.crt"] == string(ca) && len(cm.Data) == 1
	}
	waitFor(t, "kube-root-ca.crt in a new namespace", published)
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		if _, err := shared.Client.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}

	cm, err := cms.Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data = map[string]string{"ca.crt": "not a CA", "extra": "x"}
	edited, err := cms.Update(ctx, cm, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edited ConfigMap put back", func(ctx context.Context) bool {
		cm, err := cms.Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil && cm.ResourceVersion != edited.ResourceVersion && published(ctx)
	})

	if err := cms.Delete(ctx, "kube-root-ca.crt", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deleted ConfigMap recreated", func(ctx context.Context) bool {
		cm, err := cms.Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil && cm.UID != edited.UID && published(ctx)
	})
	var list *corev1.ConfigMapList
	if list, err = cms.List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) != 1 {
		t.Fatalf("configmaps in %s: %v %v", ns, list, err)
	}
}
