package core

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// fieldsOf lists "field: type" for each error, for compact comparisons.
func fieldsOf(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+": "+string(e.Type))
	}
	return out
}

func expect(t *testing.T, name string, errs field.ErrorList, want ...string) {
	t.Helper()
	got := fieldsOf(errs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", name, got, want)
	}
}

func meta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: "default"} }

func TestValidateNamespace(t *testing.T) {
	expect(t, "valid", ValidateNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"kubernetes", "example.com/cleanup"}}}))
	expect(t, "subdomain is not a label", ValidateNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}}),
		"metadata.name: FieldValueInvalid")
	expect(t, "bad finalizer", ValidateNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"},
		Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"cleanup"}}}),
		"spec.finalizers[0]: FieldValueInvalid")
	expect(t, "namespaced metadata on a cluster object",
		ValidateNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "y"}}),
		"metadata.namespace: FieldValueForbidden")
}

func TestValidateNamespaceStatusUpdate(t *testing.T) {
	live := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", ResourceVersion: "1"}}
	terminating := live.DeepCopy()
	terminating.DeletionTimestamp = ptr.To(metav1.Now())
	update := func(old *corev1.Namespace, phase corev1.NamespacePhase) field.ErrorList {
		ns := old.DeepCopy()
		ns.Status.Phase = phase
		return ValidateNamespaceStatusUpdate(ns, old)
	}
	expect(t, "live stays Active", update(live, corev1.NamespaceActive))
	expect(t, "live cannot terminate by status", update(live, corev1.NamespaceTerminating), "status.phase: FieldValueInvalid")
	expect(t, "terminating stays Terminating", update(terminating, corev1.NamespaceTerminating))
	expect(t, "terminating cannot revive", update(terminating, corev1.NamespaceActive), "status.phase: FieldValueInvalid")
}

func TestValidateConfigMap(t *testing.T) {
	expect(t, "valid", ValidateConfigMap(&corev1.ConfigMap{ObjectMeta: meta("app.config"),
		Data: map[string]string{"app.properties": "a=b", "-x_y": ""}, BinaryData: map[string][]byte{"logo.png": {1}}}))
	expect(t, "bad key", ValidateConfigMap(&corev1.ConfigMap{ObjectMeta: meta("c"), Data: map[string]string{"a b": ""}}),
		"data[a b]: FieldValueInvalid")
	expect(t, "dot-dot key", ValidateConfigMap(&corev1.ConfigMap{ObjectMeta: meta("c"), BinaryData: map[string][]byte{"..": nil}}),
		"binaryData[..]: FieldValueInvalid")
	expect(t, "key in both maps", ValidateConfigMap(&corev1.ConfigMap{ObjectMeta: meta("c"),
		Data: map[string]string{"k": ""}, BinaryData: map[string][]byte{"k": nil}}),
		"data[k]: FieldValueInvalid")
	expect(t, "exactly 1 MiB is fine", ValidateConfigMap(&corev1.ConfigMap{ObjectMeta: meta("c"),
		Data: map[string]string{"k": strings.Repeat("x", corev1.MaxSecretSize)}}))
	expect(t, "over 1 MiB", ValidateConfigMap(&corev1.ConfigMap{ObjectMeta: meta("c"),
		Data: map[string]string{"k": strings.Repeat("x", corev1.MaxSecretSize)}, BinaryData: map[string][]byte{"b": {1}}}),
		"[]: FieldValueTooLong")
	expect(t, "no namespace", ValidateConfigMap(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}),
		"metadata.namespace: FieldValueRequired")
}

func TestValidateConfigMapUpdateImmutable(t *testing.T) {
	old := &corev1.ConfigMap{ObjectMeta: meta("c"), Data: map[string]string{"a": "1"}, Immutable: ptr.To(true)}
	old.ResourceVersion = "1"
	changed := old.DeepCopy()
	changed.Data["a"] = "2"
	expect(t, "data of an immutable configmap", ValidateConfigMapUpdate(changed, old), "data: FieldValueForbidden")
	unfrozen := old.DeepCopy()
	unfrozen.Immutable = nil
	expect(t, "immutable back to unset", ValidateConfigMapUpdate(unfrozen, old), "immutable: FieldValueForbidden")
	relabeled := old.DeepCopy()
	relabeled.Labels = map[string]string{"a": "b"}
	expect(t, "labels stay mutable", ValidateConfigMapUpdate(relabeled, old))
	mutable := old.DeepCopy()
	mutable.Immutable = nil
	freeze := mutable.DeepCopy()
	freeze.Immutable = ptr.To(true)
	freeze.Data["a"] = "3"
	expect(t, "freezing and changing at once is allowed", ValidateConfigMapUpdate(freeze, mutable))
}

func TestValidateSecretTypes(t *testing.T) {
	secret := func(typ corev1.SecretType, keys ...string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: meta("s"), Type: typ, Data: map[string][]byte{}}
		for _, k := range keys {
			s.Data[k] = []byte("{}")
		}
		return s
	}
	expect(t, "opaque", ValidateSecret(secret(corev1.SecretTypeOpaque, "anything")))
	expect(t, "tls without keys", ValidateSecret(secret(corev1.SecretTypeTLS)),
		"data[tls.crt]: FieldValueRequired", "data[tls.key]: FieldValueRequired")
	expect(t, "tls", ValidateSecret(secret(corev1.SecretTypeTLS, "tls.crt", "tls.key")))
	expect(t, "basic-auth with neither", ValidateSecret(secret(corev1.SecretTypeBasicAuth)),
		"data[username]: FieldValueRequired", "data[password]: FieldValueRequired")
	expect(t, "basic-auth with password only", ValidateSecret(secret(corev1.SecretTypeBasicAuth, "password")))
	expect(t, "ssh-auth", ValidateSecret(secret(corev1.SecretTypeSSHAuth)), "data[ssh-privatekey]: FieldValueRequired")
	expect(t, "dockerconfigjson", ValidateSecret(secret(corev1.SecretTypeDockerConfigJson, ".dockerconfigjson")))
	bad := secret(corev1.SecretTypeDockerConfigJson)
	bad.Data[".dockerconfigjson"] = []byte("{not json")
	expect(t, "dockerconfigjson not JSON", ValidateSecret(bad), "data[.dockerconfigjson]: FieldValueInvalid")
	expect(t, "service account token without its account", ValidateSecret(secret(corev1.SecretTypeServiceAccountToken)),
		"metadata.annotations[kubernetes.io/service-account.name]: FieldValueRequired")
}

func TestValidateSecretUpdate(t *testing.T) {
	old := &corev1.Secret{ObjectMeta: meta("s"), Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"a": []byte("1")}}
	old.ResourceVersion = "1"
	retyped := old.DeepCopy()
	retyped.Type = corev1.SecretTypeSSHAuth
	retyped.Data["ssh-privatekey"] = []byte("k")
	expect(t, "type is immutable", ValidateSecretUpdate(retyped, old), "type: FieldValueInvalid")
	old.Immutable = ptr.To(true)
	changed := old.DeepCopy()
	changed.Data["a"] = []byte("2")
	expect(t, "data of an immutable secret", ValidateSecretUpdate(changed, old), "data: FieldValueForbidden")
}

func TestSetDefaultsSecret(t *testing.T) {
	s := &corev1.Secret{Data: map[string][]byte{"a": []byte("data"), "b": []byte("data")}, StringData: map[string]string{"b": "string"}}
	SetDefaultsSecret(s)
	if s.Type != corev1.SecretTypeOpaque || string(s.Data["a"]) != "data" || string(s.Data["b"]) != "string" || s.StringData != nil {
		t.Fatalf("defaulted secret: %+v", s)
	}
}

func TestValidateEvent(t *testing.T) {
	ev := &corev1.Event{ObjectMeta: meta("e"), InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p", Namespace: "default"}}
	expect(t, "valid", ValidateEvent(ev))
	ev.InvolvedObject.Namespace = "other"
	expect(t, "other namespace", ValidateEvent(ev), "involvedObject.namespace: FieldValueInvalid")
}
