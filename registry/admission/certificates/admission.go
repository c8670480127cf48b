// Package certificates holds the admission plugins that guard
// CertificateSigningRequests, under upstream's names:
//
//   - CertificateApproval: approving or denying a request needs the approve
//     verb on the signers resource named by the request's signer;
//   - CertificateSigning: writing a certificate or a signer's conditions
//     through /status needs the sign verb on it;
//   - CertificateSubjectRestriction: no request to the
//     kube-apiserver-client signer may ask for the system:masters group,
//     which no authorizer can take back;
//   - ClusterTrustBundleAttest: writing a ClusterTrustBundle of a signer
//     needs the attest verb on it (what workloads come to trust is the
//     signer's to say).
//
// A signer is authorized by its full name (example.com/my-signer) or by
// its domain's wildcard (example.com/*), as upstream.
package certificates

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/kybernetes/kybernetes/apis/certificates"
)

// The plugins' names, as upstream.
const (
	ApprovalPluginName           = "CertificateApproval"
	SigningPluginName            = "CertificateSigning"
	SubjectRestrictionPluginName = "CertificateSubjectRestriction"
	AttestPluginName             = "ClusterTrustBundleAttest"
)

var (
	csrs         = certificatesv1.Resource("certificatesigningrequests")
	trustBundles = certificatesv1.Resource("clustertrustbundles")
)

// Register registers the three plugins.
func Register(plugins *admission.Plugins) {
	plugins.Register(ApprovalPluginName, func(io.Reader) (admission.Interface, error) {
		return &signerCheck{Handler: admission.NewHandler(admission.Update), name: ApprovalPluginName, subresource: "approval", verb: "approve"}, nil
	})
	plugins.Register(SigningPluginName, func(io.Reader) (admission.Interface, error) {
		return &signerCheck{Handler: admission.NewHandler(admission.Update), name: SigningPluginName, subresource: "status", verb: "sign"}, nil
	})
	plugins.Register(SubjectRestrictionPluginName, func(io.Reader) (admission.Interface, error) {
		return &subjectRestriction{admission.NewHandler(admission.Create)}, nil
	})
	plugins.Register(AttestPluginName, func(io.Reader) (admission.Interface, error) {
		return &attest{Handler: admission.NewHandler(admission.Create, admission.Update)}, nil
	})
}

// attest refuses a ClusterTrustBundle of a signer the user may not attest
// for; bundles without a signer, and updates that change only what the
// garbage collector writes, pass.
type attest struct {
	*admission.Handler
	authz authorizer.UnconditionalAuthorizer
}

func (p *attest) SetUnconditionalAuthorizer(a authorizer.UnconditionalAuthorizer) { p.authz = a }

func (p *attest) ValidateInitialization() error {
	if p.authz == nil {
		return fmt.Errorf("%s requires an authorizer", AttestPluginName)
	}
	return nil
}

func (p *attest) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != trustBundles || a.GetSubresource() != "" {
		return nil
	}
	bundle, ok := a.GetObject().(*certificatesv1.ClusterTrustBundle)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("expected type ClusterTrustBundle, got: %T", a.GetObject()))
	}
	if bundle.Spec.SignerName == "" {
		return nil
	}
	if old, ok := a.GetOldObject().(*certificatesv1.ClusterTrustBundle); ok && a.GetOperation() == admission.Update &&
		apiequality.Semantic.DeepEqual(old.Spec, bundle.Spec) && apiequality.Semantic.DeepEqual(old.Labels, bundle.Labels) &&
		apiequality.Semantic.DeepEqual(old.Annotations, bundle.Annotations) {
		return nil // owner references or finalizers only
	}
	if IsAuthorizedForSigner(ctx, p.authz, a.GetUserInfo(), "attest", bundle.Spec.SignerName) {
		return nil
	}
	return admission.NewForbidden(a, fmt.Errorf("user not permitted to attest for signerName %q", bundle.Spec.SignerName))
}

// signerCheck refuses a write through one subresource of a request unless
// the user may verb the request's signer.
type signerCheck struct {
	*admission.Handler
	name, subresource, verb string
	authz                   authorizer.UnconditionalAuthorizer
}

func (p *signerCheck) SetUnconditionalAuthorizer(a authorizer.UnconditionalAuthorizer) { p.authz = a }

func (p *signerCheck) ValidateInitialization() error {
	if p.authz == nil {
		return fmt.Errorf("%s requires an authorizer", p.name)
	}
	return nil
}

func (p *signerCheck) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != csrs || a.GetSubresource() != p.subresource {
		return nil
	}
	old, ok := a.GetOldObject().(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("expected type CertificateSigningRequest, got: %T", a.GetOldObject()))
	}
	csr, ok := a.GetObject().(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("expected type CertificateSigningRequest, got: %T", a.GetObject()))
	}
	// A status write that changes nothing a signer owns (a label, say)
	// needs no signer's rights.
	if p.subresource == "status" && apiequality.Semantic.DeepEqual(old.Status, csr.Status) {
		return nil
	}
	if IsAuthorizedForSigner(ctx, p.authz, a.GetUserInfo(), p.verb, old.Spec.SignerName) {
		return nil
	}
	return admission.NewForbidden(a, fmt.Errorf("user not permitted to %s requests with signerName %q", p.verb, old.Spec.SignerName))
}

// IsAuthorizedForSigner reports whether u may verb the signer, by name or
// by its domain's wildcard.
func IsAuthorizedForSigner(ctx context.Context, authz authorizer.UnconditionalAuthorizer, u user.Info, verb, signer string) bool {
	domain, _, _ := strings.Cut(signer, "/")
	for _, name := range []string{signer, domain + "/*"} {
		decision, _, err := authz.Authorize(ctx, authorizer.AttributesRecord{
			User: u, Verb: verb, APIGroup: certificatesv1.GroupName, APIVersion: "*",
			Resource: "signers", Name: name, ResourceRequest: true,
		})
		if err == nil && decision == authorizer.DecisionAllow {
			return true
		}
	}
	return false
}

// subjectRestriction refuses kube-apiserver-client requests for
// system:masters.
type subjectRestriction struct{ *admission.Handler }

func (p *subjectRestriction) Validate(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != csrs || a.GetSubresource() != "" {
		return nil
	}
	csr, ok := a.GetObject().(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("expected type CertificateSigningRequest, got: %T", a.GetObject()))
	}
	if csr.Spec.SignerName != certificatesv1.KubeAPIServerClientSignerName {
		return nil
	}
	req, err := certificates.ParseRequest(csr.Spec.Request)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("failed to parse CSR: %v", err))
	}
	for _, group := range req.Subject.Organization {
		if group == user.SystemPrivilegedGroup {
			return admission.NewForbidden(a, errors.New("use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"))
		}
	}
	return nil
}
