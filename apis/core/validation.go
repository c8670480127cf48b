package core

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	metadataPath = field.NewPath("metadata")
	dataPath     = field.NewPath("data")
)

// ValidateNamespace checks a new namespace: its name is a DNS label and its
// spec.finalizers are well-formed.
func ValidateNamespace(ns *corev1.Namespace) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ns.ObjectMeta, false, apimachineryvalidation.ValidateNamespaceName, metadataPath)
	for i, f := range ns.Spec.Finalizers {
		allErrs = append(allErrs, validateFinalizerName(string(f), field.NewPath("spec", "finalizers").Index(i))...)
	}
	return allErrs
}

// ValidateNamespaceUpdate checks an update of a namespace's metadata and spec.
func ValidateNamespaceUpdate(ns, old *corev1.Namespace) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta, metadataPath)
	for i, f := range ns.Spec.Finalizers {
		allErrs = append(allErrs, validateFinalizerName(string(f), field.NewPath("spec", "finalizers").Index(i))...)
	}
	return allErrs
}

// ValidateNamespaceStatusUpdate checks a write to namespaces/status: a
// terminating namespace must stay Terminating, a live one Active.
func ValidateNamespaceStatusUpdate(ns, old *corev1.Namespace) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta, metadataPath)
	phase := field.NewPath("status", "phase")
	if old.DeletionTimestamp.IsZero() {
		if ns.Status.Phase != corev1.NamespaceActive {
			allErrs = append(allErrs, field.Invalid(phase, ns.Status.Phase, "may only be 'Active' if `deletionTimestamp` is empty"))
		}
	} else if ns.Status.Phase != corev1.NamespaceTerminating {
		allErrs = append(allErrs, field.Invalid(phase, ns.Status.Phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"))
	}
	return allErrs
}

// standardFinalizers may appear without a domain prefix.
var standardFinalizers = []string{string(corev1.FinalizerKubernetes), metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents}

// validateFinalizerName accepts the standard finalizers and any
// domain-qualified name, as upstream does.
func validateFinalizerName(name string, fldPath *field.Path) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateFinalizerName(name, fldPath)
	if len(allErrs) == 0 && !strings.Contains(name, "/") && !slices.Contains(standardFinalizers, name) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, "name is neither a standard finalizer name nor is it fully qualified"))
	}
	return allErrs
}

// ValidateConfigMap checks names, keys and the 1 MiB size limit.
func ValidateConfigMap(cm *corev1.ConfigMap) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&cm.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	size := 0
	for key, value := range cm.Data {
		allErrs = append(allErrs, validateDataKey(key, field.NewPath("data").Key(key))...)
		if _, dup := cm.BinaryData[key]; dup {
			allErrs = append(allErrs, field.Invalid(field.NewPath("data").Key(key), key, "duplicate of key present in binaryData"))
		}
		size += len(value)
	}
	for key, value := range cm.BinaryData {
		allErrs = append(allErrs, validateDataKey(key, field.NewPath("binaryData").Key(key))...)
		size += len(value)
	}
	if size > corev1.MaxSecretSize {
		allErrs = append(allErrs, field.TooLong(field.NewPath(""), "", corev1.MaxSecretSize))
	}
	return allErrs
}

// ValidateConfigMapUpdate adds the immutability rules to ValidateConfigMap.
func ValidateConfigMapUpdate(cm, old *corev1.ConfigMap) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&cm.ObjectMeta, &old.ObjectMeta, metadataPath)
	if isImmutable(old.Immutable) {
		allErrs = append(allErrs, validateStaysImmutable(cm.Immutable)...)
		if !apiequality.Semantic.DeepEqual(cm.Data, old.Data) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"))
		}
		if !apiequality.Semantic.DeepEqual(cm.BinaryData, old.BinaryData) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("binaryData"), "field is immutable when `immutable` is set"))
		}
	}
	return append(allErrs, ValidateConfigMap(cm)...)
}

// ValidateSecret checks names, keys, the size limit and the keys each
// built-in secret type requires.
func ValidateSecret(s *corev1.Secret) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&s.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	size := 0
	for key, value := range s.Data {
		allErrs = append(allErrs, validateDataKey(key, dataPath.Key(key))...)
		size += len(value)
	}
	if size > corev1.MaxSecretSize {
		allErrs = append(allErrs, field.TooLong(dataPath, "", corev1.MaxSecretSize))
	}
	return append(allErrs, validateSecretType(s)...)
}

func validateSecretType(s *corev1.Secret) field.ErrorList {
	var allErrs field.ErrorList
	requireKey := func(key string) {
		if _, ok := s.Data[key]; !ok {
			allErrs = append(allErrs, field.Required(dataPath.Key(key), ""))
		}
	}
	requireJSON := func(key string) {
		requireKey(key)
		if v, ok := s.Data[key]; ok && !json.Valid(v) {
			allErrs = append(allErrs, field.Invalid(dataPath.Key(key), "<secret contents redacted>", "invalid JSON"))
		}
	}
	switch s.Type {
	case corev1.SecretTypeServiceAccountToken:
		if s.Annotations[corev1.ServiceAccountNameKey] == "" {
			allErrs = append(allErrs, field.Required(metadataPath.Child("annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg:
		requireJSON(corev1.DockerConfigKey)
	case corev1.SecretTypeDockerConfigJson:
		requireJSON(corev1.DockerConfigJsonKey)
	case corev1.SecretTypeBasicAuth:
		_, hasUser := s.Data[corev1.BasicAuthUsernameKey]
		_, hasPassword := s.Data[corev1.BasicAuthPasswordKey]
		if !hasUser && !hasPassword {
			allErrs = append(allErrs,
				field.Required(dataPath.Key(corev1.BasicAuthUsernameKey), ""),
				field.Required(dataPath.Key(corev1.BasicAuthPasswordKey), ""))
		}
	case corev1.SecretTypeSSHAuth:
		requireKey(corev1.SSHAuthPrivateKey)
	case corev1.SecretTypeTLS:
		requireKey(corev1.TLSCertKey)
		requireKey(corev1.TLSPrivateKeyKey)
	}
	return allErrs
}

// ValidateSecretUpdate adds the type and immutability rules to ValidateSecret.
func ValidateSecretUpdate(s, old *corev1.Secret) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&s.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(s.Type, old.Type, field.NewPath("type"))...)
	if isImmutable(old.Immutable) {
		allErrs = append(allErrs, validateStaysImmutable(s.Immutable)...)
		if !apiequality.Semantic.DeepEqual(s.Data, old.Data) {
			allErrs = append(allErrs, field.Forbidden(dataPath, "field is immutable when `immutable` is set"))
		}
	}
	return append(allErrs, ValidateSecret(s)...)
}

// ValidateServiceAccount checks a service account's name and references.
func ValidateServiceAccount(sa *corev1.ServiceAccount) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&sa.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	for i, ref := range sa.ImagePullSecrets {
		if ref.Name == "" {
			allErrs = append(allErrs, field.Required(field.NewPath("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	return allErrs
}

// ValidateServiceAccountUpdate checks an update of a service account.
func ValidateServiceAccountUpdate(sa, old *corev1.ServiceAccount) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&sa.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, ValidateServiceAccount(sa)...)
}

// ValidateEvent checks a core/v1 event: its name, and that the object it is
// about lives in the event's namespace.
func ValidateEvent(ev *corev1.Event) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ev.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	involved := field.NewPath("involvedObject", "namespace")
	if ev.InvolvedObject.Namespace != "" && ev.InvolvedObject.Namespace != ev.Namespace {
		allErrs = append(allErrs, field.Invalid(involved, ev.InvolvedObject.Namespace, "does not match event.namespace"))
	}
	if ev.Type != "" && ev.Type != corev1.EventTypeNormal && ev.Type != corev1.EventTypeWarning && !ev.EventTime.IsZero() {
		allErrs = append(allErrs, field.Invalid(field.NewPath("type"), ev.Type, fmt.Sprintf("has invalid value: %v", ev.Type)))
	}
	if len(ev.Message) > 4*1024 && !ev.EventTime.IsZero() {
		allErrs = append(allErrs, field.TooLong(field.NewPath("message"), "", 4*1024))
	}
	return allErrs
}

// ValidateEventUpdate checks an update of an event.
func ValidateEventUpdate(ev, old *corev1.Event) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ev.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, ValidateEvent(ev)...)
}

func validateDataKey(key string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range validation.IsConfigMapKey(key) {
		allErrs = append(allErrs, field.Invalid(fldPath, key, msg))
	}
	return allErrs
}

func isImmutable(b *bool) bool { return b != nil && *b }

func validateStaysImmutable(b *bool) field.ErrorList {
	if !isImmutable(b) {
		return field.ErrorList{field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set")}
	}
	return nil
}
