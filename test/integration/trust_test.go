package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/utils/ptr"
)

func pemCert(t *testing.T, isCA bool) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if isCA {
		cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: "it-ca"}, key)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// ClusterTrustBundles: names tied to their signer, bundles of distinct CA
// certificates, the signer immutable, the SIGNERNAME column, selection by
// signer, and ClusterTrustBundleAttest: writing a signer's bundle needs the
// attest verb on it.
func TestClusterTrustBundles(t *testing.T) {
	ctx := context.Background()
	bundles := shared.Client.CertificatesV1().ClusterTrustBundles()
	ca := pemCert(t, true)
	bundle := &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "it.example.com:signer:one"},
		Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: "it.example.com/signer", TrustBundle: ca}}
	created, err := bundles.Create(ctx, bundle, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bundles.Delete(context.Background(), bundle.Name, metav1.DeleteOptions{}) })
	created.Spec.SignerName = "it.example.com/other"
	_, err = bundles.Update(ctx, created, metav1.UpdateOptions{})
	assertInvalid(t, err, "spec.signerName")

	bad := bundle.DeepCopy()
	bad.Name = "wrong-prefix"
	_, err = bundles.Create(ctx, bad, metav1.CreateOptions{})
	assertInvalid(t, err, "metadata.name")
	bad.Name, bad.Spec.TrustBundle = "it.example.com:signer:leaf", pemCert(t, false)
	_, err = bundles.Create(ctx, bad, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.trustBundle")
	bad.Spec.TrustBundle = ca + ca
	_, err = bundles.Create(ctx, bad, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "duplicate trust anchor") {
		t.Errorf("a duplicate anchor: %v", err)
	}

	mine, err := bundles.List(ctx, metav1.ListOptions{FieldSelector: "spec.signerName=it.example.com/signer"})
	if err != nil || len(mine.Items) != 1 {
		t.Errorf("bundles of the signer: %v %v", err, mine)
	}
	table, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis/certificates.k8s.io/v1/clustertrustbundles/"+bundle.Name).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"it.example.com:signer:one","it.example.com/signer"`) {
		t.Errorf("table: %v %s", err, table)
	}

	// A user who may write bundles but not attest for the signer.
	role, err := shared.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "it-bundle-writer"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"create"}, APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"clustertrustbundles"}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = shared.Client.RbacV1().ClusterRoles().Delete(context.Background(), role.Name, metav1.DeleteOptions{})
	})
	if _, err := shared.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "it-bundle-writer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: "bundler"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = shared.Client.RbacV1().ClusterRoleBindings().Delete(context.Background(), "it-bundle-writer", metav1.DeleteOptions{})
	})
	bundler := clientAs(shared, "bundler").CertificatesV1().ClusterTrustBundles()
	second := bundle.DeepCopy()
	second.Name = "it.example.com:signer:two"
	waitFor(t, "the bundler's role to apply", func(ctx context.Context) bool {
		_, err = bundler.Create(ctx, second, metav1.CreateOptions{})
		return err != nil && strings.Contains(err.Error(), `user not permitted to attest for signerName "it.example.com/signer"`)
	})
	unsigned := &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "it-unsigned"}, Spec: certificatesv1.ClusterTrustBundleSpec{TrustBundle: ca}}
	if _, err := bundler.Create(ctx, unsigned, metav1.CreateOptions{}); err != nil {
		t.Errorf("a bundle without a signer needs no attest: %v", err)
	}
	t.Cleanup(func() { _ = bundles.Delete(context.Background(), "it-unsigned", metav1.DeleteOptions{}) })
}

func stubRequest(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// PodCertificateRequests: who the certificate is for, a stub PKCS#10
// request of a supported key, lifetime bounds and its default, an
// immutable spec, and a signer's status: issued once, with its chain.
func TestPodCertificateRequests(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	requests := shared.Client.CertificatesV1().PodCertificateRequests(ns)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	request := func(name string, key any) *certificatesv1.PodCertificateRequest {
		return &certificatesv1.PodCertificateRequest{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: certificatesv1.PodCertificateRequestSpec{
			SignerName: "it.example.com/pods", PodName: "web", PodUID: "pod-uid", ServiceAccountName: "default", ServiceAccountUID: "sa-uid",
			NodeName: "node-1", NodeUID: "node-uid", StubPKCS10Request: stubRequest(t, key)}}
	}
	pcr, err := requests.Create(ctx, request("web-cert", edKey), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(pcr.Spec.MaxExpirationSeconds, 0) != 86400 {
		t.Errorf("maxExpirationSeconds %v, want the default 86400", pcr.Spec.MaxExpirationSeconds)
	}
	weak, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, err = requests.Create(ctx, request("weak", weak), metav1.CreateOptions{})
	assertInvalid(t, err, "spec.stubPKCS10Request")
	short := request("short", edKey)
	short.Spec.MaxExpirationSeconds, short.Spec.PodUID = ptr.To[int32](60), ""
	_, err = requests.Create(ctx, short, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.maxExpirationSeconds")
	assertInvalid(t, err, "spec.podUID")
	pcr.Spec.PodName = "other"
	_, err = requests.Update(ctx, pcr, metav1.UpdateOptions{})
	assertInvalid(t, err, "spec")
	onNode, err := requests.List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=node-1"})
	if err != nil || len(onNode.Items) != 1 {
		t.Errorf("requests of node-1: %v %v", err, onNode)
	}

	pcr, err = requests.Get(ctx, "web-cert", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	pcr.Status = certificatesv1.PodCertificateRequestStatus{
		Conditions: []metav1.Condition{{Type: certificatesv1.PodCertificateRequestConditionTypeIssued, Status: metav1.ConditionTrue,
			Reason: "Issued", Message: "by the test", LastTransitionTime: now}},
		CertificateChain: pemCert(t, false), NotBefore: &now, BeginRefreshAt: &now, NotAfter: &now,
	}
	if pcr, err = requests.UpdateStatus(ctx, pcr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	table, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis/certificates.k8s.io/v1/namespaces/"+ns+"/podcertificaterequests").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"web-cert","web","default","node-1","it.example.com/pods","Issued"`) {
		t.Errorf("table: %v %s", err, table)
	}
	pcr.Status.Conditions[0].Type = certificatesv1.PodCertificateRequestConditionTypeDenied
	pcr.Status.CertificateChain = ""
	_, err = requests.UpdateStatus(ctx, pcr, metav1.UpdateOptions{})
	assertInvalid(t, err, "status")
}

// StorageVersionMigrations: the resource to migrate, and the conditions a
// migrator writes.
func TestStorageVersionMigrations(t *testing.T) {
	ctx := context.Background()
	migrations := shared.Client.StoragemigrationV1().StorageVersionMigrations()
	m, err := migrations.Create(ctx, &storagemigrationv1.StorageVersionMigration{ObjectMeta: metav1.ObjectMeta{Name: "it-secrets"},
		Spec: storagemigrationv1.StorageVersionMigrationSpec{Resource: metav1.GroupResource{Resource: "secrets"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = migrations.Delete(context.Background(), m.Name, metav1.DeleteOptions{}) })
	_, err = migrations.Create(ctx, &storagemigrationv1.StorageVersionMigration{ObjectMeta: metav1.ObjectMeta{Name: "it-nothing"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.resource.resource")
	now := metav1.Now()
	m.Status.Conditions = []metav1.Condition{
		{Type: "Succeeded", Status: metav1.ConditionTrue, Reason: "Done", LastTransitionTime: now},
		{Type: "Failed", Status: metav1.ConditionTrue, Reason: "Broken", LastTransitionTime: now},
	}
	_, err = migrations.UpdateStatus(ctx, m, metav1.UpdateOptions{})
	assertInvalid(t, err, "status.conditions")
	m.Status.Conditions = m.Status.Conditions[:1]
	if _, err := migrations.UpdateStatus(ctx, m, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	table, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis/storagemigration.k8s.io/v1/storageversionmigrations/it-secrets").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"it-secrets","secrets","Succeeded"`) {
		t.Errorf("table: %v %s", err, table)
	}
	if _, err := migrations.Get(ctx, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a missing migration: %v", err)
	}
}
