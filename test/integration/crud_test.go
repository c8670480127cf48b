package integration

import (
	"context"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestConfigMapCRUD(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cms := shared.Client.CoreV1().ConfigMaps(ns)

	created, err := cms.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Labels: map[string]string{"app": "web"}},
		Data:       map[string]string{"mode": "fast"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() {
		t.Fatalf("server did not set uid/resourceVersion/creationTimestamp: %+v", created.ObjectMeta)
	}

	_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}}, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: want AlreadyExists, got %v", err)
	}

	got, err := cms.Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["mode"] != "fast" {
		t.Fatalf("get returned data %v", got.Data)
	}

	got.Data["mode"] = "safe"
	updated, err := cms.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if updated.ResourceVersion == created.ResourceVersion {
		t.Fatal("update did not change resourceVersion")
	}

	// An update from a stale copy conflicts and changes nothing.
	created.Data = map[string]string{"mode": "stale"}
	if _, err := cms.Update(ctx, created, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("stale update: want Conflict, got %v", err)
	}
	if got, _ := cms.Get(ctx, "settings", metav1.GetOptions{}); got.Data["mode"] != "safe" {
		t.Fatalf("stale update changed the stored object: %v", got.Data)
	}

	if err := cms.Delete(ctx, "settings", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(ctx, "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("get after delete: want NotFound, got %v", err)
	}
}

func TestSecretDefaultsAndTypeSelector(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	secrets := shared.Client.CoreV1().Secrets(ns)

	opaque, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "plain"},
		Data: map[string][]byte{"k": []byte("v")}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if opaque.Type != corev1.SecretTypeOpaque {
		t.Fatalf("type defaulted to %q, want Opaque", opaque.Type)
	}
	_, err = secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "login"},
		Type: corev1.SecretTypeBasicAuth, Data: map[string][]byte{"username": []byte("me")}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := secrets.List(ctx, metav1.ListOptions{FieldSelector: "type=kubernetes.io/basic-auth"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "login" {
		t.Fatalf("field selector type=kubernetes.io/basic-auth returned %d items", len(list.Items))
	}
	_, err = secrets.List(ctx, metav1.ListOptions{FieldSelector: "data.k=v"})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("unsupported field selector: want BadRequest, got %v", err)
	}
}

func TestLeaseAndEvent(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	lease, err := shared.Client.CoordinationV1().Leases(ns).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "leader"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To("node-a"), LeaseDurationSeconds: ptr.To[int32](15)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *lease.Spec.HolderIdentity != "node-a" {
		t.Fatalf("holder %q", *lease.Spec.HolderIdentity)
	}
	_, err = shared.Client.CoordinationV1().Leases(ns).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec:       coordinationv1.LeaseSpec{LeaseDurationSeconds: ptr.To[int32](0)},
	}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.leaseDurationSeconds")

	events := shared.Client.CoreV1().Events(ns)
	for _, reason := range []string{"Started", "Killing"} {
		_, err := events.Create(ctx, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{GenerateName: "web-"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: ns},
			Reason:         reason, Message: "container " + reason, Type: corev1.EventTypeNormal,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := events.List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=web,reason=Killing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Reason != "Killing" {
		t.Fatalf("event field selector returned %d items", len(list.Items))
	}
	_, err = events.Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "elsewhere"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "other"},
	}, metav1.CreateOptions{})
	assertInvalid(t, err, "involvedObject.namespace")
}

// TestCreateOnUpdate: a PUT to a missing endpoints, lease or event creates
// it, as upstream; other kinds answer 404.
func TestCreateOnUpdate(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	core := shared.Client.CoreV1()
	if _, err := core.Endpoints(ns).Update(ctx, &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "ep"}}, metav1.UpdateOptions{}); err != nil {
		t.Errorf("PUT of new endpoints: %v", err)
	}
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "lock"}, Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("me")}}
	if _, err := shared.Client.CoordinationV1().Leases(ns).Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Errorf("PUT of a new lease: %v", err)
	}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "ev"}, Reason: "Tested", Message: "created by PUT",
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "p"}}
	if _, err := core.Events(ns).Update(ctx, ev, metav1.UpdateOptions{}); err != nil {
		t.Errorf("PUT of a new event: %v", err)
	}
	for _, get := range []func() error{
		func() error { _, err := core.Endpoints(ns).Get(ctx, "ep", metav1.GetOptions{}); return err },
		func() error {
			_, err := shared.Client.CoordinationV1().Leases(ns).Get(ctx, "lock", metav1.GetOptions{})
			return err
		},
		func() error { _, err := core.Events(ns).Get(ctx, "ev", metav1.GetOptions{}); return err },
	} {
		if err := get(); err != nil {
			t.Errorf("object created by PUT: %v", err)
		}
	}
	_, err := core.ConfigMaps(ns).Update(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.UpdateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("PUT of a new configmap: %v, want NotFound", err)
	}
}
