package scheme

import (
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The hub design: the same Go type is the external and the internal version,
// so converting only moves TypeMeta.
func TestHubTypesConvertByResettingTypeMeta(t *testing.T) {
	for _, obj := range []runtime.Object{&corev1.ConfigMap{}, &corev1.Namespace{}, &coordinationv1.Lease{}} {
		gvks, _, err := Scheme.ObjectKinds(obj)
		if err != nil {
			t.Fatal(err)
		}
		var external, internal bool
		for _, gvk := range gvks {
			external = external || gvk.Version == "v1"
			internal = internal || gvk.Version == runtime.APIVersionInternal
		}
		if !external || !internal {
			t.Fatalf("%T registered as %v; want v1 and %s", obj, gvks, runtime.APIVersionInternal)
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Data: map[string]string{"a": "b"}}
	out, err := Scheme.ConvertToVersion(cm, schema.GroupVersion{Version: runtime.APIVersionInternal})
	if err != nil {
		t.Fatal(err)
	}
	if out.(*corev1.ConfigMap).Data["a"] != "b" {
		t.Fatalf("conversion to internal lost data: %+v", out)
	}
}

func TestExternalSchemeHasNoInternalVersions(t *testing.T) {
	s := NewExternalScheme()
	for gvk := range s.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal && gvk.Kind != "WatchEvent" {
			t.Fatalf("external scheme knows %v", gvk)
		}
	}
}

func TestSecretDecodeFoldsStringData(t *testing.T) {
	body := []byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"k":"v"}}`)
	decoder := Codecs.UniversalDecoder(schema.GroupVersion{Version: runtime.APIVersionInternal})
	obj, _, err := decoder.Decode(body, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := obj.(*corev1.Secret)
	if string(s.Data["k"]) != "v" || s.Type != corev1.SecretTypeOpaque {
		t.Fatalf("decoded secret: %+v", s)
	}
}
