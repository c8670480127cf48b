package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/kubelet/bootstrap"
	"github.com/kybernetes/kybernetes/registry"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// startSigningServer is a server whose controller manager signs with the
// cluster CA, as `kybernetes server` runs it, and that accepts bootstrap
// tokens.
func startSigningServer(t *testing.T) *framework.Server {
	t.Helper()
	dataDir := t.TempDir()
	controllers := manager.DefaultOptions()
	controllers.ClusterSigningCertFile = filepath.Join(dataDir, "pki", "ca.crt")
	controllers.ClusterSigningKeyFile = filepath.Join(dataDir, "pki", "ca.key")
	return framework.Start(t, framework.Setup{DataDir: dataDir, Controllers: &controllers,
		Customize: func(o *registry.Options) { o.EnableBootstrapTokenAuth = true }})
}

// certificateRequest is a PEM PKCS#10 request for subject, with its key.
func certificateRequest(t *testing.T, subject pkix.Name) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	req, err := certutil.MakeCSR(key, &subject, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req, key
}

func clientAs(server *framework.Server, user string, groups ...string) kubernetes.Interface {
	cfg := rest.CopyConfig(server.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return kubernetes.NewForConfigOrDie(cfg)
}

func approve(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) *certificatesv1.CertificateSigningRequest {
	csr = csr.DeepCopy()
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: t, Status: corev1.ConditionTrue, Reason: "TestDecision", Message: "decided by the test",
	})
	return csr
}

func waitForCSR(t *testing.T, client kubernetes.Interface, name, what string, done func(*certificatesv1.CertificateSigningRequest) bool) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	var last *certificatesv1.CertificateSigningRequest
	waitFor(t, name+": "+what, func(ctx context.Context) bool {
		csr, err := client.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		last = csr
		return done(csr)
	})
	return last
}

// TestCertificateSigningRequests: validation with upstream's field paths,
// the requestor recorded by the server, who may approve and sign, the
// signer issuing a working client certificate within the requested
// duration, and refusing what its signer does not sign.
func TestCertificateSigningRequests(t *testing.T) {
	server := startSigningServer(t)
	ctx := context.Background()
	csrs := server.Client.CertificatesV1().CertificateSigningRequests()

	t.Run("validation", func(t *testing.T) {
		_, err := csrs.Create(ctx, &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "bad"},
			Spec: certificatesv1.CertificateSigningRequestSpec{
				Request: []byte("not a request"), SignerName: "kubernetes.io/legacy-unknown",
				ExpirationSeconds: ptr.To[int32](300),
			},
		}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("want 422, got %v", err)
		}
		for _, want := range []string{
			"spec.request: Invalid value",
			"PEM block type must be CERTIFICATE REQUEST",
			"spec.usages: Required value",
			`spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version`,
			"spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 600 seconds (10 minutes)",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		req, _ := certificateRequest(t, pkix.Name{CommonName: "x"})
		_, err = csrs.Create(ctx, &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "bad-signer"},
			Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: "no-slash",
				Usages: []certificatesv1.KeyUsage{"client auth", "client auth", "telepathy"}},
		}, metav1.CreateOptions{})
		for _, want := range []string{
			`spec.signerName: Invalid value: "no-slash": must be a fully qualified domain and path of the form 'example.com/signer-name'`,
			`spec.usages[1]: Duplicate value: "client auth"`,
			`spec.usages[2]: Unsupported value: "telepathy"`,
		} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
	})

	t.Run("system:masters refused", func(t *testing.T) {
		req, _ := certificateRequest(t, pkix.Name{CommonName: "mallory", Organization: []string{"system:masters"}})
		_, err := csrs.Create(ctx, &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "masters"},
			Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: certificatesv1.KubeAPIServerClientSignerName,
				Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}},
		}, metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed") {
			t.Fatalf("want upstream's 403, got %v", err)
		}
	})

	// A requester who may create, read and approve requests through the
	// API, but may approve for no signer.
	_, err := server.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "csr-requester"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"certificates.k8s.io"}, Verbs: []string{"create", "get", "list", "watch", "update"},
			Resources: []string{"certificatesigningrequests", "certificatesigningrequests/approval", "certificatesigningrequests/status"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "csr-requester"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "csr-requester"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	alice := clientAs(server, "alice", "developers")
	waitFor(t, "alice may create requests", func(ctx context.Context) bool {
		review, err := alice.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "update", Group: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "approval"}},
		}, metav1.CreateOptions{})
		return err == nil && review.Status.Allowed
	})

	req, key := certificateRequest(t, pkix.Name{CommonName: "carol", Organization: []string{"team"}})
	created, err := alice.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "carol"},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request: req, SignerName: certificatesv1.KubeAPIServerClientSignerName,
			Usages:            []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
			ExpirationSeconds: ptr.To[int32](3600),
			Username:          "someone-else", Groups: []string{"system:masters"},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("requestor recorded", func(t *testing.T) {
		if created.Spec.Username != "alice" || strings.Join(created.Spec.Groups, ",") != "developers,system:authenticated" {
			t.Errorf("requestor: want alice in developers,system:authenticated, got %q in %v", created.Spec.Username, created.Spec.Groups)
		}
	})

	t.Run("approval needs the signer's approve verb", func(t *testing.T) {
		_, err := alice.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, "carol", approve(created, certificatesv1.CertificateApproved), metav1.UpdateOptions{})
		want := `user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"`
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), want) {
			t.Fatalf("want 403 %q, got %v", want, err)
		}
		signed := created.DeepCopy()
		self, _, err := certutil.GenerateSelfSignedCertKey("carol", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		signed.Status.Certificate = self
		_, err = alice.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, signed, metav1.UpdateOptions{})
		want = `user not permitted to sign requests with signerName "kubernetes.io/kube-apiserver-client"`
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), want) {
			t.Fatalf("want 403 %q, got %v", want, err)
		}
	})

	t.Run("the main resource writes no decision", func(t *testing.T) {
		updated, err := csrs.Update(ctx, approve(created, certificatesv1.CertificateApproved), metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(updated.Status.Conditions) != 0 {
			t.Errorf("an update of the main resource set conditions: %+v", updated.Status.Conditions)
		}
	})

	t.Run("approved, signed, works", func(t *testing.T) {
		current, err := csrs.Get(ctx, "carol", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		if _, err := csrs.UpdateApproval(ctx, "carol", approve(current, certificatesv1.CertificateApproved), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		issued := waitForCSR(t, server.Client, "carol", "a certificate", func(c *certificatesv1.CertificateSigningRequest) bool { return len(c.Status.Certificate) > 0 })
		block, _ := pem.Decode(issued.Status.Certificate)
		if block == nil {
			t.Fatalf("certificate is not PEM: %q", issued.Status.Certificate)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if cert.Subject.CommonName != "carol" || strings.Join(cert.Subject.Organization, ",") != "team" {
			t.Errorf("subject: %v", cert.Subject)
		}
		if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth || cert.KeyUsage != x509.KeyUsageDigitalSignature || cert.IsCA {
			t.Errorf("usages: key %v ext %v CA %v", cert.KeyUsage, cert.ExtKeyUsage, cert.IsCA)
		}
		if lifetime := cert.NotAfter.Sub(before); lifetime < 59*time.Minute || lifetime > 61*time.Minute {
			t.Errorf("asked for an hour, got a certificate valid until %s (%s from approval)", cert.NotAfter, lifetime)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		cfg := rest.AnonymousClientConfig(server.Config)
		cfg.CertData, cfg.KeyData = issued.Status.Certificate, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
		review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if u := review.Status.UserInfo; u.Username != "carol" || !strings.Contains(strings.Join(u.Groups, ","), "team") {
			t.Errorf("the issued certificate authenticates as %q in %v", u.Username, u.Groups)
		}
		// The decision stays: it cannot be turned into a denial.
		_, err = csrs.UpdateApproval(ctx, "carol", approve(issued, certificatesv1.CertificateDenied), metav1.UpdateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "Approved and Denied conditions are mutually exclusive") {
			t.Errorf("denying an approved request: want 422, got %v", err)
		}
		// Nor can the certificate be replaced.
		again := issued.DeepCopy()
		again.Status.Certificate = append([]byte{}, issued.Status.Certificate...)
		again.Status.Certificate = append(again.Status.Certificate, issued.Status.Certificate...)
		_, err = csrs.UpdateStatus(ctx, again, metav1.UpdateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "updates may not modify existing certificate content") {
			t.Errorf("replacing the certificate: want 422, got %v", err)
		}
	})

	t.Run("what the signer does not sign fails", func(t *testing.T) {
		req, _ := certificateRequest(t, pkix.Name{CommonName: "server"})
		csr, err := csrs.Create(ctx, &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "server-usage"},
			Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: certificatesv1.KubeAPIServerClientSignerName,
				Usages: []certificatesv1.KeyUsage{certificatesv1.UsageServerAuth}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := csrs.UpdateApproval(ctx, csr.Name, approve(csr, certificatesv1.CertificateApproved), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		failed := waitForCSR(t, server.Client, csr.Name, "Failed", func(c *certificatesv1.CertificateSigningRequest) bool {
			for _, cond := range c.Status.Conditions {
				if cond.Type == certificatesv1.CertificateFailed {
					return true
				}
			}
			return false
		})
		cond := failed.Status.Conditions[len(failed.Status.Conditions)-1]
		if cond.Reason != "SignerValidationFailure" || cond.Message != "invalid usage for client certificate: server auth" || len(failed.Status.Certificate) > 0 {
			t.Errorf("want SignerValidationFailure and no certificate, got %+v, %d bytes", cond, len(failed.Status.Certificate))
		}
	})

	t.Run("kubectl columns", func(t *testing.T) {
		var table metav1.Table
		err := server.Client.CertificatesV1().RESTClient().Get().Resource("certificatesigningrequests").Name("carol").
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Into(&table)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range table.ColumnDefinitions {
			names = append(names, c.Name)
		}
		if got := strings.Join(names, ","); got != "Name,Age,SignerName,Requestor,RequestedDuration,Condition" {
			t.Errorf("columns: %s", got)
		}
		row := table.Rows[0].Cells
		if row[2] != "kubernetes.io/kube-apiserver-client" || row[3] != "alice" || row[4] != "60m" || row[5] != "Approved,Issued" {
			t.Errorf("row: %v", row)
		}
	})
}

// TestKubeletTLSBootstrap: a node with only a bootstrap token gets its own
// client certificate, approved by the controller because RBAC lets
// system:bootstrappers ask for node client certificates, and then talks
// to the API as system:node:<name>; a bad or expired token is 401.
func TestKubeletTLSBootstrap(t *testing.T) {
	server := startSigningServer(t)
	ctx := context.Background()
	_, err := server.Client.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-abcdef"},
		Type:       "bootstrap.kubernetes.io/token",
		StringData: map[string]string{
			"token-id": "abcdef", "token-secret": "0123456789abcdef",
			"usage-bootstrap-authentication": "true", "auth-extra-groups": "system:bootstrappers:worker",
			"expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.Client.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-zzzzzz"},
		Type:       "bootstrap.kubernetes.io/token",
		StringData: map[string]string{
			"token-id": "zzzzzz", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true",
			"expiration": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{
		"kubelet-bootstrap":          "system:node-bootstrapper",
		"node-autoapprove-bootstrap": "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
	} {
		_, err := server.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:bootstrappers"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	withToken := func(token string) kubernetes.Interface {
		cfg := rest.AnonymousClientConfig(server.Config)
		cfg.BearerToken = token
		return kubernetes.NewForConfigOrDie(cfg)
	}
	whoami := func(client kubernetes.Interface) (authenticationv1.UserInfo, error) {
		review, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return authenticationv1.UserInfo{}, err
		}
		return review.Status.UserInfo, nil
	}
	// The token is read from the watch cache, which sees the Secret a
	// moment after it is written.
	var user authenticationv1.UserInfo
	waitFor(t, "the bootstrap token to authenticate", func(ctx context.Context) bool {
		user, err = whoami(withToken("abcdef.0123456789abcdef"))
		return err == nil
	})
	if user.Username != "system:bootstrap:abcdef" || strings.Join(user.Groups, ",") != "system:bootstrappers,system:bootstrappers:worker,system:authenticated" {
		t.Errorf("the token authenticates as %q in %v", user.Username, user.Groups)
	}
	for token, why := range map[string]string{
		"abcdef.ffffffffffffffff": "a wrong secret",
		"zzzzzz.0123456789abcdef": "an expired token",
		"qqqqqq.0123456789abcdef": "a token without a Secret",
	} {
		if _, err := whoami(withToken(token)); !apierrors.IsUnauthorized(err) {
			t.Errorf("%s: want 401, got %v", why, err)
		}
	}
	waitFor(t, "bootstrappers may ask for node client certificates", func(ctx context.Context) bool {
		review, err := server.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "nodeclient", Verb: "create"}},
		}, metav1.CreateOptions{})
		return err == nil && review.Status.Allowed
	})

	dir := t.TempDir()
	bootstrapPath, kubeconfigPath := filepath.Join(dir, "bootstrap.kubeconfig"), filepath.Join(dir, "kubelet.kubeconfig")
	err = clientcmd.WriteToFile(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"c": {Server: server.Config.Host, CertificateAuthorityData: server.Config.CAData}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"u": {Token: "abcdef.0123456789abcdef"}},
		Contexts:       map[string]*clientcmdapi.Context{"x": {Cluster: "c", AuthInfo: "u"}},
		CurrentContext: "x",
	}, bootstrapPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	certDir := filepath.Join(dir, "pki")
	if err := bootstrap.LoadClientCert(ctx, kubeconfigPath, bootstrapPath, certDir, "boot-node"); err != nil {
		t.Fatal(err)
	}
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	user, err = whoami(kubernetes.NewForConfigOrDie(config))
	if err != nil {
		t.Fatal(err)
	}
	if user.Username != "system:node:boot-node" || !strings.Contains(strings.Join(user.Groups, ","), "system:nodes") {
		t.Errorf("the bootstrapped kubeconfig authenticates as %q in %v", user.Username, user.Groups)
	}
	list, err := server.Client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("want one request, got %d", len(list.Items))
	}
	csr := list.Items[0]
	if !strings.HasPrefix(csr.Name, "node-csr-") || csr.Spec.Username != "system:bootstrap:abcdef" || csr.Spec.SignerName != certificatesv1.KubeAPIServerClientKubeletSignerName {
		t.Errorf("request: %s by %s for %s", csr.Name, csr.Spec.Username, csr.Spec.SignerName)
	}
	approved := false
	for _, c := range csr.Status.Conditions {
		approved = approved || c.Type == certificatesv1.CertificateApproved && c.Reason == "AutoApproved" &&
			c.Message == "Auto approving kubelet client certificate after SubjectAccessReview."
	}
	if !approved {
		t.Errorf("not auto-approved: %+v", csr.Status.Conditions)
	}
	// A restart with the certificate in place asks for nothing.
	if err := bootstrap.LoadClientCert(ctx, kubeconfigPath, bootstrapPath, certDir, "boot-node"); err != nil {
		t.Fatal(err)
	}
	if list, err = server.Client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) != 1 {
		t.Errorf("a second start made another request (%v): %d", err, len(list.Items))
	}
}
