package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
)

func TestStrategicMergePatch(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	sas := shared.Client.CoreV1().ServiceAccounts(ns)
	_, err := sas.Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "builder", Labels: map[string]string{"keep": "yes", "drop": "yes"}},
		Secrets:    []corev1.ObjectReference{{Name: "token-a"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// secrets merges by name under strategic merge patch; a JSON merge
	// patch would have replaced the whole list.
	patch := `{"metadata":{"labels":{"drop":null,"new":"yes"}},"secrets":[{"name":"token-b"}]}`
	sa, err := sas.Patch(ctx, "builder", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Labels["keep"] != "yes" || sa.Labels["new"] != "yes" || sa.Labels["drop"] != "" {
		t.Fatalf("labels after patch: %v", sa.Labels)
	}
	if len(sa.Secrets) != 2 {
		t.Fatalf("secrets after strategic merge: %v, want both tokens", sa.Secrets)
	}
	second := sa.Secrets[1].Name
	sa, err = sas.Patch(ctx, "builder", types.JSONPatchType, []byte(`[{"op":"remove","path":"/secrets/0"}]`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sa.Secrets) != 1 || sa.Secrets[0].Name != second {
		t.Fatalf("json patch remove left %v", sa.Secrets)
	}
}

func TestServerSideApplyConflicts(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cms := shared.Client.CoreV1().ConfigMaps(ns)

	first := corev1apply.ConfigMap("shared", ns).WithData(map[string]string{"owner": "alice", "alice": "1"})
	if _, err := cms.Apply(ctx, first, metav1.ApplyOptions{FieldManager: "alice"}); err != nil {
		t.Fatal(err)
	}
	second := corev1apply.ConfigMap("shared", ns).WithData(map[string]string{"owner": "bob"})
	_, err := cms.Apply(ctx, second, metav1.ApplyOptions{FieldManager: "bob"})
	if !apierrors.IsConflict(err) {
		t.Fatalf("bob's apply over alice's field: want Conflict, got %v", err)
	}
	cm, err := cms.Apply(ctx, second, metav1.ApplyOptions{FieldManager: "bob", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["owner"] != "bob" || cm.Data["alice"] != "1" {
		t.Fatalf("after forced apply: %v", cm.Data)
	}
	managers := map[string]bool{}
	for _, entry := range cm.ManagedFields {
		managers[entry.Manager] = true
	}
	if !managers["alice"] || !managers["bob"] {
		t.Fatalf("managedFields list %v, want alice and bob", managers)
	}
	// Alice drops a field she no longer applies; bob's field stays.
	if _, err := cms.Apply(ctx, corev1apply.ConfigMap("shared", ns).WithData(map[string]string{}),
		metav1.ApplyOptions{FieldManager: "alice"}); err != nil {
		t.Fatal(err)
	}
	cm, _ = cms.Get(ctx, "shared", metav1.GetOptions{})
	if _, ok := cm.Data["alice"]; ok || cm.Data["owner"] != "bob" {
		t.Fatalf("after alice's second apply: %v", cm.Data)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cm, err := shared.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dry"}},
		metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Name != "dry" {
		t.Fatalf("dry-run answered %v", cm)
	}
	if _, err := shared.Client.CoreV1().ConfigMaps(ns).Get(ctx, "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry-run create stored the object: %v", err)
	}
}
