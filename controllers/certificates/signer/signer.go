// Package signer signs approved CertificateSigningRequests for the
// signers Kubernetes defines, with the cluster CA, as upstream's
// csrsigning controller does:
//
//   - kubernetes.io/kube-apiserver-client: client certificates the API
//     server trusts (usages client auth, optionally digital signature and
//     key encipherment);
//   - kubernetes.io/kube-apiserver-client-kubelet: a kubelet's client
//     certificate (system:node:<name> in system:nodes, no alternative names);
//   - kubernetes.io/kubelet-serving: a kubelet's serving certificate (DNS or
//     IP names).
//
// A request the signer cannot sign as asked gets a Failed condition
// (reason SignerValidationFailure); requests for other signers are left to
// theirs. A certificate lasts the request's expirationSeconds (at least
// ten minutes) up to --cluster-signing-duration, and never past the CA.
package signer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	certificatesinformers "k8s.io/client-go/informers/certificates/v1"
	"k8s.io/client-go/kubernetes"
	certificateslisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/apis/certificates"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

const (
	// backdate starts certificates a little in the past, so that a clock
	// behind the signer's still accepts them at once.
	backdate = 5 * time.Minute
	// shortLived certificates keep their full duration: backdating their
	// end as well would cost them too large a share.
	shortLived = 8 * time.Hour
	// minDuration is the shortest certificate signed, twice the backdate.
	minDuration = 10 * time.Minute
)

// validators say, per signer this controller serves, why a request is not
// one it signs.
var validators = map[string]func(*x509.CertificateRequest, []certificatesv1.KeyUsage) error{
	certificatesv1.KubeAPIServerClientSignerName: func(_ *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
		return validateAPIServerClientUsages(usages)
	},
	certificatesv1.KubeAPIServerClientKubeletSignerName: certificates.ValidateKubeletClientRequest,
	certificatesv1.KubeletServingSignerName:             certificates.ValidateKubeletServingRequest,
}

func validateAPIServerClientUsages(usages []certificatesv1.KeyUsage) error {
	for _, u := range usages {
		switch u {
		case certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment:
		default:
			return fmt.Errorf("invalid usage for client certificate: %s", u)
		}
	}
	if !slices.Contains(usages, certificatesv1.UsageClientAuth) {
		return fmt.Errorf("missing required usage for client certificate: %s", certificatesv1.UsageClientAuth)
	}
	return nil
}

// Controller signs approved requests.
type Controller struct {
	client kubernetes.Interface
	ca     dynamiccertificates.CertKeyContentProvider
	// maxDuration is --cluster-signing-duration.
	maxDuration time.Duration
	now         func() time.Time
	csrs        certificateslisters.CertificateSigningRequestLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
}

// New returns a signer with the CA in certFile and keyFile, read again
// when they change (rotating the CA needs no restart).
func New(client kubernetes.Interface, csrs certificatesinformers.CertificateSigningRequestInformer, certFile, keyFile string, maxDuration time.Duration) (*Controller, error) {
	ca, err := dynamiccertificates.NewDynamicServingContentFromFiles("csr-controller", certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("the cluster signing CA: %w", err)
	}
	if _, _, err := parseCA(ca); err != nil {
		return nil, fmt.Errorf("the cluster signing CA: %w", err)
	}
	c := &Controller{
		client: client, ca: ca, maxDuration: maxDuration, now: time.Now,
		csrs:   csrs.Lister(),
		synced: []cache.InformerSynced{csrs.Informer().HasSynced},
		queue:  runner.NewQueue("certificatesigningrequest-signing"),
	}
	_, _ = csrs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
	})
	return c, nil
}

func (c *Controller) enqueue(obj interface{}) {
	if csr, ok := obj.(*certificatesv1.CertificateSigningRequest); ok && validators[csr.Spec.SignerName] != nil {
		c.queue.Add(csr.Name)
	}
}

// Run signs requests until ctx ends, reloading the CA as it changes.
func (c *Controller) Run(ctx context.Context, workers int) {
	if reloader, ok := c.ca.(dynamiccertificates.ControllerRunner); ok {
		go reloader.Run(ctx, 1)
	}
	runner.Run(ctx, "certificatesigningrequest-signing", c.queue, c.synced, workers, runner.Always(c.sync))
}

func (c *Controller) sync(ctx context.Context, name string) error {
	csr, err := c.csrs.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	validate := validators[csr.Spec.SignerName]
	if validate == nil || len(csr.Status.Certificate) > 0 || !certificates.HasCondition(csr, certificatesv1.CertificateApproved) ||
		certificates.HasCondition(csr, certificatesv1.CertificateDenied) || certificates.HasCondition(csr, certificatesv1.CertificateFailed) {
		return nil
	}
	req, err := certificates.ParseRequest(csr.Spec.Request)
	if err != nil {
		return fmt.Errorf("unable to parse csr %q: %w", csr.Name, err)
	}
	csr = csr.DeepCopy()
	if err := validate(req, csr.Spec.Usages); err != nil {
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type: certificatesv1.CertificateFailed, Status: corev1.ConditionTrue,
			Reason: "SignerValidationFailure", Message: err.Error(), LastUpdateTime: metav1.Now(),
		})
		_, err = c.client.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, csr, metav1.UpdateOptions{})
		return ignoreNotFound(err)
	}
	cert, err := c.sign(req, csr.Spec.Usages, csr.Spec.ExpirationSeconds)
	if err != nil {
		return fmt.Errorf("signing csr %q: %w", csr.Name, err)
	}
	csr.Status.Certificate = cert
	_, err = c.client.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, csr, metav1.UpdateOptions{})
	return ignoreNotFound(err)
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// sign issues the certificate req asks for, PEM-encoded: its subject and
// names, the usages the request object lists (not the extensions the
// requestor put in its PKCS#10), never a CA.
func (c *Controller) sign(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage, expirationSeconds *int32) ([]byte, error) {
	caCert, caKey, err := parseCA(c.ca)
	if err != nil {
		return nil, err
	}
	keyUsage, extKeyUsage, err := KeyUsages(usages)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	now := c.now()
	lifetime := c.duration(expirationSeconds)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      req.Subject,
		DNSNames:     req.DNSNames, IPAddresses: req.IPAddresses, EmailAddresses: req.EmailAddresses, URIs: req.URIs,
		KeyUsage: keyUsage, ExtKeyUsage: extKeyUsage,
		BasicConstraintsValid: true,
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(lifetime - backdate),
	}
	if lifetime < shortLived {
		tmpl.NotAfter = now.Add(lifetime)
	}
	if !now.Before(caCert.NotAfter) {
		return nil, fmt.Errorf("refusing to sign a certificate that expired in the past: NotAfter=%v", caCert.NotAfter)
	}
	if tmpl.NotAfter.After(caCert.NotAfter) {
		tmpl.NotAfter = caCert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, req.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("failed to sign certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// duration is what the request asked for, between ten minutes and the
// configured maximum; nothing asked means the maximum.
func (c *Controller) duration(expirationSeconds *int32) time.Duration {
	if expirationSeconds == nil {
		return c.maxDuration
	}
	d := time.Duration(*expirationSeconds) * time.Second
	return min(max(d, minDuration), c.maxDuration)
}

func parseCA(ca dynamiccertificates.CertKeyContentProvider) (*x509.Certificate, crypto.Signer, error) {
	certPEM, keyPEM := ca.CurrentCertKeyContent()
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("the CA key cannot sign")
	}
	return cert, key, nil
}

var keyUsages = map[certificatesv1.KeyUsage]x509.KeyUsage{
	certificatesv1.UsageSigning:           x509.KeyUsageDigitalSignature,
	certificatesv1.UsageDigitalSignature:  x509.KeyUsageDigitalSignature,
	certificatesv1.UsageContentCommitment: x509.KeyUsageContentCommitment,
	certificatesv1.UsageKeyEncipherment:   x509.KeyUsageKeyEncipherment,
	certificatesv1.UsageKeyAgreement:      x509.KeyUsageKeyAgreement,
	certificatesv1.UsageDataEncipherment:  x509.KeyUsageDataEncipherment,
	certificatesv1.UsageCertSign:          x509.KeyUsageCertSign,
	certificatesv1.UsageCRLSign:           x509.KeyUsageCRLSign,
	certificatesv1.UsageEncipherOnly:      x509.KeyUsageEncipherOnly,
	certificatesv1.UsageDecipherOnly:      x509.KeyUsageDecipherOnly,
}

var extKeyUsages = map[certificatesv1.KeyUsage]x509.ExtKeyUsage{
	certificatesv1.UsageAny:             x509.ExtKeyUsageAny,
	certificatesv1.UsageServerAuth:      x509.ExtKeyUsageServerAuth,
	certificatesv1.UsageClientAuth:      x509.ExtKeyUsageClientAuth,
	certificatesv1.UsageCodeSigning:     x509.ExtKeyUsageCodeSigning,
	certificatesv1.UsageEmailProtection: x509.ExtKeyUsageEmailProtection,
	certificatesv1.UsageSMIME:           x509.ExtKeyUsageEmailProtection,
	certificatesv1.UsageIPsecEndSystem:  x509.ExtKeyUsageIPSECEndSystem,
	certificatesv1.UsageIPsecTunnel:     x509.ExtKeyUsageIPSECTunnel,
	certificatesv1.UsageIPsecUser:       x509.ExtKeyUsageIPSECUser,
	certificatesv1.UsageTimestamping:    x509.ExtKeyUsageTimeStamping,
	certificatesv1.UsageOCSPSigning:     x509.ExtKeyUsageOCSPSigning,
	certificatesv1.UsageMicrosoftSGC:    x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	certificatesv1.UsageNetscapeSGC:     x509.ExtKeyUsageNetscapeServerGatedCrypto,
}

// KeyUsages maps a request's usages to x509's key and extended key usages
// (each extended usage once, in x509's order).
func KeyUsages(usages []certificatesv1.KeyUsage) (x509.KeyUsage, []x509.ExtKeyUsage, error) {
	var keyUsage x509.KeyUsage
	var ext []x509.ExtKeyUsage
	var unknown []certificatesv1.KeyUsage
	for _, u := range usages {
		if k, ok := keyUsages[u]; ok {
			keyUsage |= k
		} else if e, ok := extKeyUsages[u]; ok {
			if !slices.Contains(ext, e) {
				ext = append(ext, e)
			}
		} else {
			unknown = append(unknown, u)
		}
	}
	if len(unknown) > 0 {
		return 0, nil, fmt.Errorf("unrecognized usage values: %q", unknown)
	}
	slices.Sort(ext)
	return keyUsage, ext, nil
}
