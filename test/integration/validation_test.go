package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// assertInvalid checks for a 422 Invalid whose causes name field.
func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want 422 Invalid naming %s, got %v", field, err)
	}
	status := err.(apierrors.APIStatus).Status()
	if status.Code != http.StatusUnprocessableEntity {
		t.Fatalf("code %d, want 422", status.Code)
	}
	for _, cause := range status.Details.Causes {
		if cause.Field == field {
			return
		}
	}
	t.Fatalf("no cause for field %s in %+v", field, status.Details.Causes)
}

func TestValidationErrorsNameTheField(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	core := shared.Client.CoreV1()

	_, err := core.ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "Bad_Name"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "metadata.name")

	_, err = core.ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keys"},
		Data: map[string]string{"no/slash": "x"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "data[no/slash]")

	big := strings.Repeat("x", corev1.MaxSecretSize+1)
	_, err = core.ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "big"},
		Data: map[string]string{"blob": big}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "1048576") {
		t.Fatalf("configmap over 1 MiB: want Invalid naming the limit, got %v", err)
	}

	_, err = core.Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls"},
		Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": []byte("c")}}, metav1.CreateOptions{})
	assertInvalid(t, err, "data[tls.key]")

	_, err = core.Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "token"},
		Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{})
	assertInvalid(t, err, "metadata.annotations[kubernetes.io/service-account.name]")

	_, err = core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "has.dot"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "metadata.name")

	// Nothing of the rejected requests was stored (the namespace's own
	// kube-root-ca.crt aside).
	list, err := core.ConfigMaps(ns).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name!=kube-root-ca.crt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Fatalf("rejected creates stored %d configmaps", len(list.Items))
	}
}

func TestImmutableConfigMapAndSecret(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cms := shared.Client.CoreV1().ConfigMaps(ns)
	cm, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "frozen"},
		Data: map[string]string{"a": "1"}, Immutable: ptr.To(true)}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["a"] = "2"
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	assertInvalid(t, err, "data")

	cm.Data["a"] = "1"
	cm.Immutable = ptr.To(false)
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	assertInvalid(t, err, "immutable")

	// Labels stay writable.
	cm.Immutable = ptr.To(true)
	cm.Labels = map[string]string{"tier": "gold"}
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("label change on an immutable configmap: %v", err)
	}

	secrets := shared.Client.CoreV1().Secrets(ns)
	s, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "frozen"},
		Data: map[string][]byte{"a": []byte("1")}, Immutable: ptr.To(true)}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Data["a"] = []byte("2")
	_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
	assertInvalid(t, err, "data")

	s.Data["a"] = []byte("1")
	s.Type = corev1.SecretTypeBasicAuth
	_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
	assertInvalid(t, err, "type")
}

func TestMalformedBodyIsBadRequest(t *testing.T) {
	ns := newNamespace(t)
	for name, body := range map[string]struct {
		contentType string
		data        string
	}{
		"json": {"application/json", `{"apiVersion":"v1","kind":"ConfigMap",`},
		"yaml": {"application/yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n"},
	} {
		t.Run(name, func(t *testing.T) {
			result := shared.Client.CoreV1().RESTClient().Post().Namespace(ns).Resource("configmaps").
				SetHeader("Content-Type", body.contentType).Body([]byte(body.data)).Do(context.Background())
			var code int
			result.StatusCode(&code)
			if code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400 (%v)", code, result.Error())
			}
			if !apierrors.IsBadRequest(result.Error()) {
				t.Fatalf("want a BadRequest Status, got %v", result.Error())
			}
		})
	}
}

func TestStrictFieldValidation(t *testing.T) {
	ns := newNamespace(t)
	body := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"strict"},"dta":{"a":"b"}}`
	result := shared.Client.CoreV1().RESTClient().Post().Namespace(ns).Resource("configmaps").
		Param("fieldValidation", "Strict").SetHeader("Content-Type", "application/json").
		Body([]byte(body)).Do(context.Background())
	err := result.Error()
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "dta"`) {
		t.Fatalf("want BadRequest naming the unknown field, got %v", err)
	}
	if _, err := shared.Client.CoreV1().ConfigMaps(ns).Get(context.Background(), "strict", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a refused create stored the object: %v", err)
	}

	// A patch that breaks validation leaves the stored object as it was.
	cms := shared.Client.CoreV1().ConfigMaps(ns)
	if _, err := cms.Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept"},
		Data: map[string]string{"a": "1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = cms.Patch(context.Background(), "kept", types.MergePatchType, []byte(`{"data":{"bad key":"x"}}`), metav1.PatchOptions{})
	assertInvalid(t, err, "data[bad key]")
	got, _ := cms.Get(context.Background(), "kept", metav1.GetOptions{})
	if len(got.Data) != 1 || got.Data["a"] != "1" {
		t.Fatalf("rejected patch changed the object: %v", got.Data)
	}
}
