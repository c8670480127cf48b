package certificates

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// The usages a kubelet's certificates carry: with an RSA key it also asks
// for key encipherment, with an ECDSA or Ed25519 key it need not.
var (
	kubeletClientUsages        = sets.New(certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageClientAuth)
	kubeletClientUsagesNoRSA   = sets.New(certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth)
	kubeletServingUsages       = sets.New(certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageServerAuth)
	kubeletServingUsagesNoRSA  = sets.New(certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth)
	errNotSystemNodes          = errors.New("subject organization is not system:nodes")
	errNotSystemNode           = errors.New("subject common name does not begin with system:node:")
	errEmailSANNotAllowed      = errors.New("Email subjectAltNames are not allowed")
	errURISANNotAllowed        = errors.New("URI subjectAltNames are not allowed")
	errDNSSANNotAllowed        = errors.New("DNS subjectAltNames are not allowed")
	errIPSANNotAllowed         = errors.New("IP subjectAltNames are not allowed")
	errDNSOrIPSANRequired      = errors.New("DNS or IP subjectAltName is required")
	kubeletClientUsagesSorted  = sets.List(kubeletClientUsages)
	kubeletServingUsagesSorted = sets.List(kubeletServingUsages)
)

// ValidateKubeletClientRequest says why req is not what the
// kube-apiserver-client-kubelet signer signs: a node's client certificate,
// CN system:node:<name>, O system:nodes, no subject alternative names.
func ValidateKubeletClientRequest(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	if !slices.Equal(req.Subject.Organization, []string{"system:nodes"}) {
		return errNotSystemNodes
	}
	switch {
	case len(req.DNSNames) > 0:
		return errDNSSANNotAllowed
	case len(req.EmailAddresses) > 0:
		return errEmailSANNotAllowed
	case len(req.IPAddresses) > 0:
		return errIPSANNotAllowed
	case len(req.URIs) > 0:
		return errURISANNotAllowed
	}
	if !strings.HasPrefix(req.Subject.CommonName, "system:node:") {
		return errNotSystemNode
	}
	if u := sets.New(usages...); !u.Equal(kubeletClientUsages) && !u.Equal(kubeletClientUsagesNoRSA) {
		return fmt.Errorf("usages did not match %v", kubeletClientUsagesSorted)
	}
	return nil
}

// ValidateKubeletServingRequest says why req is not what the
// kubelet-serving signer signs: a node's serving certificate, O
// system:nodes, CN system:node:<name>, DNS or IP names only.
func ValidateKubeletServingRequest(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	if !slices.Equal(req.Subject.Organization, []string{"system:nodes"}) {
		return errNotSystemNodes
	}
	switch {
	case len(req.DNSNames) == 0 && len(req.IPAddresses) == 0:
		return errDNSOrIPSANRequired
	case len(req.EmailAddresses) > 0:
		return errEmailSANNotAllowed
	case len(req.URIs) > 0:
		return errURISANNotAllowed
	}
	if u := sets.New(usages...); !u.Equal(kubeletServingUsages) && !u.Equal(kubeletServingUsagesNoRSA) {
		return fmt.Errorf("usages did not match %v", kubeletServingUsagesSorted)
	}
	if !strings.HasPrefix(req.Subject.CommonName, "system:node:") {
		return errNotSystemNode
	}
	return nil
}
