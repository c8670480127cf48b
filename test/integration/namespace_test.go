package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/registry"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

func TestSystemNamespacesExist(t *testing.T) {
	for _, name := range registry.SystemNamespaces {
		ns, err := shared.Client.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ns.Status.Phase != corev1.NamespaceActive {
			t.Fatalf("%s is %s", name, ns.Status.Phase)
		}
	}
	err := shared.Client.CoreV1().Namespaces().Delete(context.Background(), metav1.NamespaceSystem, metav1.DeleteOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("deleting kube-system: want Forbidden, got %v", err)
	}
}

func TestCreateInMissingNamespaceIsRefused(t *testing.T) {
	_, err := shared.Client.CoreV1().ConfigMaps("does-not-exist").Create(context.Background(),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), `namespaces "does-not-exist" not found`) {
		t.Fatalf("want NotFound for the namespace, got %v", err)
	}
}

// TestNamespaceDeletion runs the API server alone first, so that the
// Terminating state can be seen and used, then the controller empties it.
func TestNamespaceDeletion(t *testing.T) {
	ctx := context.Background()
	server := framework.Start(t, framework.Setup{WithoutControllers: true})
	core := server.Client.CoreV1()

	ns, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns.Spec.Finalizers) != 1 || ns.Spec.Finalizers[0] != corev1.FinalizerKubernetes {
		t.Fatalf("new namespace has finalizers %v, want [kubernetes]", ns.Spec.Finalizers)
	}
	for _, name := range []string{"one", "two"} {
		if _, err := core.ConfigMaps("doomed").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := core.Secrets("doomed").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	if err := core.Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ns, err = core.Namespaces().Get(ctx, "doomed", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil {
		t.Fatalf("deleted namespace is %q with deletionTimestamp %v", ns.Status.Phase, ns.DeletionTimestamp)
	}
	// NamespaceLifecycle refuses new objects in a terminating namespace.
	_, err = core.ConfigMaps("doomed").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "because it is being terminated") {
		t.Fatalf("create in a terminating namespace: want Forbidden, got %v", err)
	}
	// A second delete answers as upstream does while content remains.
	err = core.Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("second delete: want Conflict, got %v", err)
	}

	// Now the controllers run; the namespace and all in it go away.
	runControllers(t, server, manager.DefaultOptions())
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := core.Namespaces().Get(ctx, "doomed", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatal("namespace was not removed within a minute")
	}
	left, err := core.ConfigMaps("doomed").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Items) != 0 {
		t.Fatalf("%d configmaps outlived their namespace", len(left.Items))
	}
}

// Status written through the main resource is ignored, and server-side
// apply does not make the applier an owner of it.
func TestNamespaceStatusIsResetOnMainResource(t *testing.T) {
	ctx := context.Background()
	apply := corev1apply.Namespace("applied-ns").WithLabels(map[string]string{"team": "a"}).
		WithStatus(corev1apply.NamespaceStatus().WithPhase(corev1.NamespaceTerminating))
	ns, err := shared.Client.CoreV1().Namespaces().Apply(ctx, apply, metav1.ApplyOptions{FieldManager: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Status.Phase != corev1.NamespaceActive || ns.Labels["team"] != "a" {
		t.Fatalf("applied namespace: phase %s labels %v", ns.Status.Phase, ns.Labels)
	}
	for _, entry := range ns.ManagedFields {
		if entry.Manager == "tester" && strings.Contains(string(entry.FieldsV1.Raw), `"f:status"`) {
			t.Fatalf("tester owns status: %s", entry.FieldsV1.Raw)
		}
	}
}

// TestNamespaceFieldSelector: `kubectl get ns --field-selector
// status.phase=Active` lists the active namespaces and not the others.
func TestNamespaceFieldSelector(t *testing.T) {
	ctx := context.Background()
	active := newNamespace(t)
	namespaces := shared.Client.CoreV1().Namespaces()
	// A finalizer of our own keeps this one Terminating while we look.
	leaving, err := namespaces.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "leaving-"},
		Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"example.com/hold"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ns, err := namespaces.Get(context.Background(), leaving.Name, metav1.GetOptions{})
		if err == nil {
			ns.Spec.Finalizers = nil
			_, _ = namespaces.Finalize(context.Background(), ns, metav1.UpdateOptions{})
		}
	})
	if err := namespaces.Delete(ctx, leaving.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	names := func(selector string) map[string]bool {
		list, err := namespaces.List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			t.Fatalf("list with %s: %v", selector, err)
		}
		got := map[string]bool{}
		for _, ns := range list.Items {
			got[ns.Name] = true
		}
		return got
	}
	if got := names("status.phase=Active"); !got[active] || got[leaving.Name] || !got["default"] {
		t.Errorf("status.phase=Active listed %v", got)
	}
	if got := names("status.phase=Terminating"); !got[leaving.Name] || got[active] {
		t.Errorf("status.phase=Terminating listed %v", got)
	}
	if _, err := namespaces.List(ctx, metav1.ListOptions{FieldSelector: "spec.nothing=x"}); !apierrors.IsBadRequest(err) {
		t.Errorf("unknown field label: %v, want BadRequest", err)
	}
}
