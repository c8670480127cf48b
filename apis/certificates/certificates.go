// Package certificates holds the scheme registration and validation of
// certificates.k8s.io/v1 (CertificateSigningRequests, ClusterTrustBundles,
// PodCertificateRequests), on the k8s.io/api types.
package certificates

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kybernetes/kybernetes/apis/fieldlabels"
	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers certificates.k8s.io/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, certificatesv1.SchemeGroupVersion, certificatesv1.AddToScheme, &certificatesv1.CertificateSigningRequest{}); err != nil {
		return err
	}
	if err := fieldlabels.Register(scheme, certificatesv1.SchemeGroupVersion.WithKind("CertificateSigningRequest"), CertificateSigningRequestFields); err != nil {
		return err
	}
	if err := fieldlabels.Register(scheme, certificatesv1.SchemeGroupVersion.WithKind("ClusterTrustBundle"), ClusterTrustBundleFields); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&certificatesv1.PodCertificateRequest{}, func(obj interface{}) {
		DefaultPodCertificateRequest(obj.(*certificatesv1.PodCertificateRequest))
	})
	return fieldlabels.Register(scheme, certificatesv1.SchemeGroupVersion.WithKind("PodCertificateRequest"), PodCertificateRequestFields)
}

// CertificateSigningRequestFields are a request's selectable fields beyond
// its name: `--field-selector spec.signerName=...` is how signers watch
// only their own requests.
func CertificateSigningRequestFields(csr *certificatesv1.CertificateSigningRequest) fields.Set {
	return fields.Set{"spec.signerName": csr.Spec.SignerName}
}

// LegacyUnknownSignerName is the signer of requests made through
// certificates.k8s.io/v1beta1 without one; v1 refuses it on new requests.
const LegacyUnknownSignerName = "kubernetes.io/legacy-unknown"

// ParseRequest decodes the PEM-encoded PKCS#10 request of a CSR.
func ParseRequest(pemBytes []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	return x509.ParseCertificateRequest(block.Bytes)
}

// HasCondition reports whether csr has a condition of type t (Approved,
// Denied and Failed are only ever True).
func HasCondition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) bool {
	return slices.ContainsFunc(csr.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool { return c.Type == t })
}

// knownUsages are the key usages a request may ask for.
var knownUsages = sets.New(
	certificatesv1.UsageSigning, certificatesv1.UsageDigitalSignature, certificatesv1.UsageContentCommitment,
	certificatesv1.UsageKeyEncipherment, certificatesv1.UsageKeyAgreement, certificatesv1.UsageDataEncipherment,
	certificatesv1.UsageCertSign, certificatesv1.UsageCRLSign, certificatesv1.UsageEncipherOnly,
	certificatesv1.UsageDecipherOnly, certificatesv1.UsageAny, certificatesv1.UsageServerAuth,
	certificatesv1.UsageClientAuth, certificatesv1.UsageCodeSigning, certificatesv1.UsageEmailProtection,
	certificatesv1.UsageSMIME, certificatesv1.UsageIPsecEndSystem, certificatesv1.UsageIPsecTunnel,
	certificatesv1.UsageIPsecUser, certificatesv1.UsageTimestamping, certificatesv1.UsageOCSPSigning,
	certificatesv1.UsageMicrosoftSGC, certificatesv1.UsageNetscapeSGC,
)

// writes says which part of a request's status an update path may change:
// clients write neither, the status subresource (signers) the certificate,
// the approval subresource the Approved and Denied conditions.
type writes struct {
	certificate, approval bool
}

// ValidateCertificateSigningRequest checks a new request: a signed PKCS#10
// request, known usages without duplicates, a qualified signer name other
// than the legacy one, and at least ten minutes of requested validity.
func ValidateCertificateSigningRequest(csr *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validate(csr, nil)
}

// ValidateCertificateSigningRequestUpdate checks a write of the main
// resource, which changes only metadata.
func ValidateCertificateSigningRequestUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateUpdate(csr, old, writes{})
}

// ValidateCertificateSigningRequestStatusUpdate checks a signer's write:
// the certificate may be set once, conditions other than Approved and
// Denied may change.
func ValidateCertificateSigningRequestStatusUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateUpdate(csr, old, writes{certificate: true})
}

// ValidateCertificateSigningRequestApprovalUpdate checks an approver's
// write: Approved or Denied may be added, never removed.
func ValidateCertificateSigningRequestApprovalUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateUpdate(csr, old, writes{approval: true})
}

// validate checks csr; old, on updates, relaxes the rules that stored
// objects from an older server may break, as upstream does.
func validate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&csr.ObjectMeta, false, func(string, bool) []string { return nil }, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	if req, err := ParseRequest(csr.Spec.Request); err != nil {
		allErrs = append(allErrs, field.Invalid(spec.Child("request"), csr.Spec.Request, err.Error()))
	} else if err := req.CheckSignature(); err != nil {
		allErrs = append(allErrs, field.Invalid(spec.Child("request"), csr.Spec.Request, err.Error()))
	}
	if len(csr.Spec.Usages) == 0 {
		allErrs = append(allErrs, field.Required(spec.Child("usages"), ""))
	}
	oldUsagesOK := old != nil && !usagesValid(old.Spec.Usages)
	seen := map[certificatesv1.KeyUsage]bool{}
	for i, usage := range csr.Spec.Usages {
		if !oldUsagesOK && !knownUsages.Has(usage) {
			allErrs = append(allErrs, field.NotSupported(spec.Child("usages").Index(i), usage, sets.List(knownUsages)))
		}
		if !oldUsagesOK && seen[usage] {
			allErrs = append(allErrs, field.Duplicate(spec.Child("usages").Index(i), usage))
		}
		seen[usage] = true
	}
	legacyStored := old != nil && old.Spec.SignerName == LegacyUnknownSignerName
	if csr.Spec.SignerName == LegacyUnknownSignerName && !legacyStored {
		allErrs = append(allErrs, field.Invalid(spec.Child("signerName"), csr.Spec.SignerName, "the legacy signerName is not allowed via this API version"))
	} else {
		allErrs = append(allErrs, ValidateSignerName(spec.Child("signerName"), csr.Spec.SignerName)...)
	}
	if csr.Spec.ExpirationSeconds != nil && *csr.Spec.ExpirationSeconds < 600 {
		allErrs = append(allErrs, field.Invalid(spec.Child("expirationSeconds"), *csr.Spec.ExpirationSeconds, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	allErrs = append(allErrs, validateConditions(field.NewPath("status", "conditions"), csr, old)...)
	if old == nil || len(csr.Status.Certificate) == 0 || !bytes.Equal(csr.Status.Certificate, old.Status.Certificate) {
		if err := validateCertificate(csr.Status.Certificate); err != nil {
			allErrs = append(allErrs, field.Invalid(field.NewPath("status", "certificate"), "<certificate data>", err.Error()))
		}
	}
	return allErrs
}

// usagesValid reports whether usages are all known and distinct.
func usagesValid(usages []certificatesv1.KeyUsage) bool {
	seen := map[certificatesv1.KeyUsage]bool{}
	for _, u := range usages {
		if !knownUsages.Has(u) || seen[u] {
			return false
		}
		seen[u] = true
	}
	return true
}

// validateConditions: a type on each, Approved, Denied and Failed only
// True, Approved and Denied never both, no type twice.
func validateConditions(path *field.Path, csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	var allErrs field.ErrorList
	oldBoth := old != nil && HasCondition(old, certificatesv1.CertificateApproved) && HasCondition(old, certificatesv1.CertificateDenied)
	oldDuplicates, oldEmpty := false, false
	if old != nil {
		types := map[certificatesv1.RequestConditionType]bool{}
		for _, c := range old.Status.Conditions {
			oldDuplicates = oldDuplicates || types[c.Type]
			oldEmpty = oldEmpty || c.Type == ""
			types[c.Type] = true
		}
	}
	seen := map[certificatesv1.RequestConditionType]bool{}
	approved, denied := false, false
	for i, c := range csr.Status.Conditions {
		if c.Type == "" && !oldEmpty {
			allErrs = append(allErrs, field.Required(path.Index(i).Child("type"), ""))
		}
		allowed := []string{string(corev1.ConditionFalse), string(corev1.ConditionTrue), string(corev1.ConditionUnknown)}
		switch c.Type {
		case certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed:
			allowed = []string{string(corev1.ConditionTrue)}
		}
		switch {
		case c.Status == "":
			allErrs = append(allErrs, field.Required(path.Index(i).Child("status"), ""))
		case !slices.Contains(allowed, string(c.Status)):
			allErrs = append(allErrs, field.NotSupported(path.Index(i).Child("status"), c.Status, allowed))
		}
		switch c.Type {
		case certificatesv1.CertificateApproved:
			approved = true
			if denied && !oldBoth {
				allErrs = append(allErrs, field.Invalid(path, c.Type, "Approved and Denied conditions are mutually exclusive"))
			}
		case certificatesv1.CertificateDenied:
			denied = true
			if approved && !oldBoth {
				allErrs = append(allErrs, field.Invalid(path, c.Type, "Approved and Denied conditions are mutually exclusive"))
			}
		}
		if seen[c.Type] && !oldDuplicates {
			allErrs = append(allErrs, field.Duplicate(path.Index(i).Child("type"), c.Type))
		}
		seen[c.Type] = true
	}
	return allErrs
}

// validateCertificate accepts nothing, or PEM CERTIFICATE blocks without
// headers, each holding certificates.
func validateCertificate(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	blocks := 0
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("only CERTIFICATE PEM blocks are allowed, found %q", block.Type)
		}
		if len(block.Headers) != 0 {
			return errors.New("no PEM block headers are permitted")
		}
		certs, err := x509.ParseCertificates(block.Bytes)
		if err != nil {
			return err
		}
		if len(certs) == 0 {
			return errors.New("found CERTIFICATE PEM block containing 0 certificates")
		}
		blocks++
		data = rest
	}
	if blocks == 0 {
		return errors.New("must contain at least one CERTIFICATE PEM block")
	}
	return nil
}

// validateUpdate checks an update through one path: the new object as a
// whole, conditions never removed, and only the parts the path may write
// changed.
func validateUpdate(csr, old *certificatesv1.CertificateSigningRequest, w writes) field.ErrorList {
	allErrs := validate(csr, old)
	conditions := field.NewPath("status", "conditions")
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed} {
		if len(conditionsOf(csr, t)) < len(conditionsOf(old, t)) {
			allErrs = append(allErrs, field.Forbidden(conditions, fmt.Sprintf("updates may not remove a condition of type %q", t)))
		}
	}
	if !w.approval {
		for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied} {
			now, before := conditionsOf(csr, t), conditionsOf(old, t)
			switch {
			case len(now) > len(before):
				allErrs = append(allErrs, field.Forbidden(conditions, fmt.Sprintf("updates may not add a condition of type %q", t)))
			case len(now) == len(before) && !apiequality.Semantic.DeepEqual(now, before):
				allErrs = append(allErrs, field.Forbidden(conditions, fmt.Sprintf("updates may not modify a condition of type %q", t)))
			}
		}
	}
	if !bytes.Equal(csr.Status.Certificate, old.Status.Certificate) {
		switch {
		case !w.certificate:
			allErrs = append(allErrs, field.Forbidden(field.NewPath("status", "certificate"), "updates may not set certificate content"))
		case len(old.Status.Certificate) > 0:
			allErrs = append(allErrs, field.Forbidden(field.NewPath("status", "certificate"), "updates may not modify existing certificate content"))
		}
	}
	return append(allErrs, apimachineryvalidation.ValidateObjectMetaUpdate(&csr.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
}

func conditionsOf(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) []certificatesv1.CertificateSigningRequestCondition {
	var out []certificatesv1.CertificateSigningRequestCondition
	for _, c := range csr.Status.Conditions {
		if c.Type == t {
			out = append(out, c)
		}
	}
	return out
}

// ValidateSignerName checks the form example.com/signer-name: a domain of
// at least two DNS labels, a slash, then dot-separated DNS subdomains.
func ValidateSignerName(path *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	domain, signer, ok := strings.Cut(name, "/")
	if !ok || strings.Contains(signer, "/") {
		return field.ErrorList{field.Invalid(path, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	var allErrs field.ErrorList
	if len(domain) > validation.DNS1123SubdomainMaxLength {
		allErrs = append(allErrs, field.TooLong(path, "", validation.DNS1123SubdomainMaxLength))
	}
	labels := strings.Split(domain, ".")
	for _, l := range labels {
		if errs := validation.IsDNS1123Label(l); len(errs) > 0 {
			for _, e := range errs {
				allErrs = append(allErrs, field.Invalid(path, domain, fmt.Sprintf("validating label %q: %s", l, e)))
			}
			break
		}
	}
	if len(labels) < 2 {
		allErrs = append(allErrs, field.Invalid(path, domain, "should be a domain with at least two segments separated by dots"))
	}
	for _, l := range strings.Split(signer, ".") {
		if errs := validation.IsDNS1123Subdomain(l); len(errs) > 0 {
			for _, e := range errs {
				allErrs = append(allErrs, field.Invalid(path, signer, fmt.Sprintf("validating label %q: %s", l, e)))
			}
			break
		}
	}
	maxLength := validation.DNS1123SubdomainMaxLength + 1 + validation.DNS1123SubdomainMaxLength + validation.DNS1123LabelMaxLength + 1
	if len(name) > maxLength {
		allErrs = append(allErrs, field.TooLong(path, "", maxLength))
	}
	return allErrs
}
