package certificates

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Upstream's bounds for ClusterTrustBundles and PodCertificateRequests.
const (
	MaxTrustBundleSize       = 1 << 20
	MaxStubPKCS10RequestSize = 10 * 1024
	MaxCertificateChainSize  = 100 * 1024
	MinMaxExpirationSeconds  = 60 * 60
	MaxMaxExpirationSeconds  = 91 * 24 * 60 * 60
	// KubernetesMaxMaxExpirationSeconds bounds the kubernetes.io signers.
	KubernetesMaxMaxExpirationSeconds = 24 * 60 * 60
	// DefaultMaxExpirationSeconds is a request's lifetime when it names none.
	DefaultMaxExpirationSeconds = 24 * 60 * 60
)

// ClusterTrustBundleFields are a bundle's selectable fields.
func ClusterTrustBundleFields(b *certificatesv1.ClusterTrustBundle) fields.Set {
	return fields.Set{"spec.signerName": b.Spec.SignerName}
}

// PodCertificateRequestFields are a request's selectable fields: kubelets
// watch the requests of their node, signers their own.
func PodCertificateRequestFields(r *certificatesv1.PodCertificateRequest) fields.Set {
	return fields.Set{"spec.signerName": r.Spec.SignerName, "spec.podName": r.Spec.PodName, "spec.nodeName": string(r.Spec.NodeName)}
}

// ValidateClusterTrustBundle checks a bundle as upstream: a name prefixed
// with its signer (":" for "/") or, without a signer, free of ":"; a
// bundle of distinct CA certificates without PEM headers.
func ValidateClusterTrustBundle(b *certificatesv1.ClusterTrustBundle) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&b.ObjectMeta, false, trustBundleName(b.Spec.SignerName), field.NewPath("metadata"))
	if b.Spec.SignerName != "" {
		allErrs = append(allErrs, ValidateSignerName(field.NewPath("spec", "signerName"), b.Spec.SignerName)...)
	}
	return append(allErrs, validateTrustBundle(field.NewPath("spec", "trustBundle"), b.Spec.TrustBundle)...)
}

// ValidateClusterTrustBundleUpdate keeps the signer; an unchanged bundle
// is not parsed again (a stricter parser must not lock it).
func ValidateClusterTrustBundleUpdate(b, old *certificatesv1.ClusterTrustBundle) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, apimachineryvalidation.ValidateObjectMeta(&b.ObjectMeta, false, trustBundleName(b.Spec.SignerName), field.NewPath("metadata"))...)
	if b.Spec.TrustBundle != old.Spec.TrustBundle {
		allErrs = append(allErrs, validateTrustBundle(field.NewPath("spec", "trustBundle"), b.Spec.TrustBundle)...)
	}
	if b.Spec.SignerName != old.Spec.SignerName {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "signerName"), b.Spec.SignerName, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

func trustBundleName(signer string) apimachineryvalidation.ValidateNameFunc {
	return func(name string, prefix bool) []string {
		if signer == "" {
			if strings.Contains(name, ":") {
				return []string{`ClusterTrustBundle without signer name must not have ":" in its name`}
			}
			return apimachineryvalidation.NameIsDNSSubdomain(name, prefix)
		}
		required := strings.ReplaceAll(signer, "/", ":") + ":"
		if !strings.HasPrefix(name, required) {
			return []string{fmt.Sprintf("ClusterTrustBundle for signerName %s must be named with prefix %s", signer, required)}
		}
		return apimachineryvalidation.NameIsDNSSubdomain(strings.TrimPrefix(name, required), prefix)
	}
}

func validateTrustBundle(path *field.Path, bundle string) field.ErrorList {
	if len(bundle) > MaxTrustBundleSize {
		return field.ErrorList{field.TooLong(path, "", MaxTrustBundleSize)}
	}
	var allErrs field.ErrorList
	seen := map[string][]int{}
	rest := []byte(bundle)
	for i := 0; ; i++ {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		problem := ""
		switch cert, err := x509.ParseCertificate(block.Bytes); {
		case block.Type != "CERTIFICATE":
			problem = fmt.Sprintf("entry %d has bad block type: %v", i, block.Type)
		case len(block.Headers) != 0:
			problem = fmt.Sprintf("entry %d has PEM block headers", i)
		case err != nil:
			problem = fmt.Sprintf("entry %d does not parse as X.509", i)
		case !cert.IsCA:
			problem = fmt.Sprintf("entry %d does not have the CA bit set", i)
		case !cert.BasicConstraintsValid:
			problem = fmt.Sprintf("entry %d has invalid basic constraints", i)
		}
		if problem != "" {
			allErrs = append(allErrs, field.Invalid(path, "<value omitted>", problem))
			continue
		}
		seen[string(block.Bytes)] = append(seen[string(block.Bytes)], i)
	}
	if len(allErrs) > 0 {
		return allErrs
	}
	if len(seen) == 0 {
		return field.ErrorList{field.Invalid(path, "<value omitted>", "at least one trust anchor must be provided")}
	}
	for _, indices := range seen {
		if len(indices) > 1 {
			allErrs = append(allErrs, field.Invalid(path, "<value omitted>", fmt.Sprintf("duplicate trust anchor (indices %v)", indices)))
		}
	}
	return allErrs
}

// DefaultPodCertificateRequest gives a request upstream's default
// lifetime.
func DefaultPodCertificateRequest(r *certificatesv1.PodCertificateRequest) {
	if r.Spec.MaxExpirationSeconds == nil {
		r.Spec.MaxExpirationSeconds = ptr.To[int32](DefaultMaxExpirationSeconds)
	}
}

// ValidatePodCertificateRequest checks a new request as upstream: who it is
// for (pod, service account, node, with their UIDs), its lifetime bounds,
// and a stub PKCS#10 request, signed by the key it carries, of a supported
// key type.
func ValidatePodCertificateRequest(r *certificatesv1.PodCertificateRequest) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&r.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	allErrs = append(allErrs, ValidateSignerName(spec.Child("signerName"), r.Spec.SignerName)...)
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(r.Spec.PodName, false) {
		allErrs = append(allErrs, field.Invalid(spec.Child("podName"), r.Spec.PodName, msg))
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(r.Spec.ServiceAccountName, false) {
		allErrs = append(allErrs, field.Invalid(spec.Child("serviceAccountName"), r.Spec.ServiceAccountName, msg))
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(string(r.Spec.NodeName), false) {
		allErrs = append(allErrs, field.Invalid(spec.Child("nodeName"), r.Spec.NodeName, msg))
	}
	for name, uid := range map[string]string{"podUID": string(r.Spec.PodUID), "serviceAccountUID": string(r.Spec.ServiceAccountUID), "nodeUID": string(r.Spec.NodeUID)} {
		switch {
		case uid == "":
			allErrs = append(allErrs, field.Invalid(spec.Child(name), uid, "must not be empty"))
		case len(uid) > 128:
			allErrs = append(allErrs, field.TooLong(spec.Child(name), uid, 128))
		}
	}
	for key := range r.Spec.UnverifiedUserAnnotations {
		if !strings.Contains(key, "/") {
			allErrs = append(allErrs, field.Invalid(spec.Child("unverifiedUserAnnotations").Key(key), key, "keys must be domain-prefixed"))
		}
	}
	if r.Spec.UnverifiedUserAnnotations != nil {
		allErrs = append(allErrs, apimachineryvalidation.ValidateAnnotations(r.Spec.UnverifiedUserAnnotations, spec.Child("unverifiedUserAnnotations"))...)
	}
	if r.Spec.MaxExpirationSeconds == nil {
		allErrs = append(allErrs, field.Required(spec.Child("maxExpirationSeconds"), "must be set"))
	} else {
		upper := int32(MaxMaxExpirationSeconds)
		if strings.HasPrefix(r.Spec.SignerName, "kubernetes.io/") {
			upper = KubernetesMaxMaxExpirationSeconds
		}
		if s := *r.Spec.MaxExpirationSeconds; s < MinMaxExpirationSeconds || s > upper {
			allErrs = append(allErrs, field.Invalid(spec.Child("maxExpirationSeconds"), s, fmt.Sprintf("must be in the range [%d, %d]", MinMaxExpirationSeconds, upper)))
		}
	}
	return append(allErrs, validateStubRequest(r.Spec.StubPKCS10Request, spec.Child("stubPKCS10Request"))...)
}

func validateStubRequest(der []byte, path *field.Path) field.ErrorList {
	if len(der) == 0 {
		return field.ErrorList{field.Required(path, "")}
	}
	if len(der) > MaxStubPKCS10RequestSize {
		return field.ErrorList{field.TooLong(path, "", MaxStubPKCS10RequestSize)}
	}
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, "must be a valid PKCS#10 CSR")}
	}
	switch pub := req.PublicKey.(type) {
	case ed25519.PublicKey:
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() && pub.Curve != elliptic.P384() && pub.Curve != elliptic.P521() {
			return field.ErrorList{field.Invalid(path, "curve "+pub.Curve.Params().Name, "elliptic public keys must use curve P256, P384, or P521")}
		}
	case *rsa.PublicKey:
		if bits := pub.Size() * 8; bits != 3072 && bits != 4096 {
			return field.ErrorList{field.Invalid(path, fmt.Sprintf("%d-bit modulus", bits), "RSA keys must have modulus size 3072 or 4096")}
		}
	default:
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, "unknown public key type; supported types are Ed25519, ECDSA, and RSA")}
	}
	// The signature proves the requester holds the key.
	if err := req.CheckSignature(); err != nil {
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, "could not verify the PKCS#10 CSR's signature")}
	}
	return nil
}

// ValidatePodCertificateRequestUpdate keeps the spec.
func ValidatePodCertificateRequestUpdate(r, old *certificatesv1.PodCertificateRequest) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if !apiequality.Semantic.DeepEqual(r.Spec, old.Spec) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec"), field.OmitValueType{}, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

// ValidatePodCertificateRequestStatusUpdate checks what a signer writes:
// at most one of Issued, Denied and Failed, each True and final; an issued
// request carries its certificate chain and its validity times.
func ValidatePodCertificateRequestStatusUpdate(r, old *certificatesv1.PodCertificateRequest) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	status := field.NewPath("status")
	allErrs = append(allErrs, metav1validation.ValidateConditions(r.Status.Conditions, status.Child("conditions"))...)
	terminal := ""
	for i, c := range r.Status.Conditions {
		switch c.Type {
		case certificatesv1.PodCertificateRequestConditionTypeIssued, certificatesv1.PodCertificateRequestConditionTypeDenied,
			certificatesv1.PodCertificateRequestConditionTypeFailed:
			if terminal != "" {
				allErrs = append(allErrs, field.Invalid(status.Child("conditions").Index(i), c.Type, "at most one of Issued, Denied, and Failed may be set"))
			}
			terminal = c.Type
			if c.Status != metav1.ConditionTrue {
				allErrs = append(allErrs, field.NotSupported(status.Child("conditions").Index(i).Child("status"), c.Status, []metav1.ConditionStatus{metav1.ConditionTrue}))
			}
		}
	}
	if oldTerminal := terminalCondition(old); oldTerminal != "" && !apiequality.Semantic.DeepEqual(r.Status, old.Status) {
		allErrs = append(allErrs, field.Forbidden(status, "the status of a request that was issued, denied or failed may not change"))
	}
	if terminal == certificatesv1.PodCertificateRequestConditionTypeIssued {
		allErrs = append(allErrs, validateChain(r.Status.CertificateChain, status.Child("certificateChain"))...)
		for name, t := range map[string]*metav1.Time{"notBefore": r.Status.NotBefore, "beginRefreshAt": r.Status.BeginRefreshAt, "notAfter": r.Status.NotAfter} {
			if t == nil {
				allErrs = append(allErrs, field.Required(status.Child(name), "must be present on an issued request"))
			}
		}
	} else if r.Status.CertificateChain != "" {
		allErrs = append(allErrs, field.Forbidden(status.Child("certificateChain"), "only an issued request carries a certificate chain"))
	}
	return allErrs
}

func terminalCondition(r *certificatesv1.PodCertificateRequest) string {
	for _, c := range r.Status.Conditions {
		switch c.Type {
		case certificatesv1.PodCertificateRequestConditionTypeIssued, certificatesv1.PodCertificateRequestConditionTypeDenied,
			certificatesv1.PodCertificateRequestConditionTypeFailed:
			return c.Type
		}
	}
	return ""
}

func validateChain(chain string, path *field.Path) field.ErrorList {
	if len(chain) > MaxCertificateChainSize {
		return field.ErrorList{field.TooLong(path, "", MaxCertificateChainSize)}
	}
	rest, n := []byte(chain), 0
	for {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); block.Type != "CERTIFICATE" || err != nil {
			return field.ErrorList{field.Invalid(path, field.OmitValueType{}, fmt.Sprintf("entry %d is not a PEM CERTIFICATE that parses as X.509", n))}
		}
		n++
	}
	if n == 0 {
		return field.ErrorList{field.Required(path, "must hold at least one PEM CERTIFICATE")}
	}
	return nil
}
