package certificates

import (
	"strings"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidateSignerName(t *testing.T) {
	for name, want := range map[string]string{
		"example.com/my-signer": "",
		"example.com/ns.name":   "",
		"":                      "Required value",
		"example.com":           "must be a fully qualified domain and path",
		"example.com/a/b":       "must be a fully qualified domain and path",
		"localhost/signer":      "should be a domain with at least two segments separated by dots",
		"Example.com/signer":    `validating label "Example"`,
		"example.com/Bad":       `validating label "Bad"`,
		"example.com/" + strings.Repeat("a.", 300) + "a": "Too long",
	} {
		errs := ValidateSignerName(field.NewPath("spec", "signerName"), name)
		switch {
		case want == "" && len(errs) > 0:
			t.Errorf("%q: unexpected %v", name, errs)
		case want != "" && !strings.Contains(errs.ToAggregate().Error(), want):
			t.Errorf("%q: want %q, got %v", name, want, errs)
		}
	}
}

func condition(t certificatesv1.RequestConditionType) certificatesv1.CertificateSigningRequestCondition {
	return certificatesv1.CertificateSigningRequestCondition{Type: t, Status: corev1.ConditionTrue}
}

// TestUpdatePaths: each path writes only its part, and no path removes a
// decision.
func TestUpdatePaths(t *testing.T) {
	old := &certificatesv1.CertificateSigningRequest{}
	old.Name, old.ResourceVersion = "r", "1"
	approved := old.DeepCopy()
	approved.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{condition(certificatesv1.CertificateApproved)}

	errs := validateUpdate(approved, old, writes{})
	if !strings.Contains(errs.ToAggregate().Error(), `updates may not add a condition of type "Approved"`) {
		t.Errorf("main resource adding Approved: %v", errs)
	}
	errs = validateUpdate(approved, old, writes{certificate: true})
	if !strings.Contains(errs.ToAggregate().Error(), `updates may not add a condition of type "Approved"`) {
		t.Errorf("status adding Approved: %v", errs)
	}
	errs = validateUpdate(old, approved, writes{approval: true})
	if !strings.Contains(errs.ToAggregate().Error(), `updates may not remove a condition of type "Approved"`) {
		t.Errorf("approval removing Approved: %v", errs)
	}
	withCert := approved.DeepCopy()
	withCert.Status.Certificate = []byte("x")
	errs = validateUpdate(withCert, approved, writes{approval: true})
	if !strings.Contains(errs.ToAggregate().Error(), "status.certificate: Forbidden: updates may not set certificate content") {
		t.Errorf("approval setting a certificate: %v", errs)
	}
	both := approved.DeepCopy()
	both.Status.Conditions = append(both.Status.Conditions, condition(certificatesv1.CertificateDenied))
	errs = validateConditions(field.NewPath("status", "conditions"), both, approved)
	if !strings.Contains(errs.ToAggregate().Error(), "Approved and Denied conditions are mutually exclusive") {
		t.Errorf("approved and denied: %v", errs)
	}
	// Stored objects that already hold both stay writable.
	if errs := validateConditions(field.NewPath("status", "conditions"), both, both); len(errs) > 0 {
		t.Errorf("stored approved and denied: %v", errs)
	}
	failedFalse := old.DeepCopy()
	failedFalse.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateFailed, Status: corev1.ConditionFalse}}
	errs = validateConditions(field.NewPath("status", "conditions"), failedFalse, nil)
	if !strings.Contains(errs.ToAggregate().Error(), `status.conditions[0].status: Unsupported value: "False": supported values: "True"`) {
		t.Errorf("Failed=False: %v", errs)
	}
}
