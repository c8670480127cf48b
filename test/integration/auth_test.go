package integration

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kybernetes/kybernetes/test/integration/framework"
)

func TestAuthentication(t *testing.T) {
	ctx := context.Background()
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("s3cret,jane,1001,\"dev,qa\"\nr00t,root,0,system:masters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	server := framework.Start(t, framework.Setup{TokenAuthFile: tokens, WithoutControllers: true})

	// No credentials: system:anonymous, who may read health and version
	// (system:public-info-viewer) and nothing else: 403, not 401.
	anonymous := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for path, want := range map[string]int{"/api/v1/namespaces": http.StatusForbidden, "/api": http.StatusForbidden,
		"/healthz": http.StatusOK, "/version": http.StatusOK} {
		waitFor(t, "anonymous GET "+path, func(context.Context) bool {
			resp, err := anonymous.Get(server.Config.Host + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode == want
		})
	}
	// A bad token is refused with 401 even though anonymous requests are
	// allowed in.
	req, _ := http.NewRequest(http.MethodGet, server.Config.Host+"/healthz", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := anonymous.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token on /healthz: %d, want 401", resp.StatusCode)
	}

	withToken := func(token string) kubernetes.Interface {
		cfg := rest.AnonymousClientConfig(server.Config)
		cfg.BearerToken = token
		return kubernetes.NewForConfigOrDie(cfg)
	}
	_, err = withToken("wrong").CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Fatalf("bad token: want 401, got %v", err)
	}

	// jane is authenticated but not in system:masters: 403, yet she may ask who she is.
	jane := withToken("s3cret")
	_, err = jane.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("jane listing namespaces: want 403, got %v", err)
	}
	review, err := jane.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info := review.Status.UserInfo
	if info.Username != "jane" || info.UID != "1001" || len(info.Groups) != 3 {
		t.Fatalf("jane's review: %+v", info)
	}
	if _, err := jane.Discovery().ServerVersion(); err != nil {
		t.Fatalf("an authenticated user may read /version: %v", err)
	}

	// A token in system:masters may do everything.
	if _, err := withToken("r00t").CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("root token: %v", err)
	}

	// The admin client certificate names kybernetes-admin in system:masters.
	review, err = server.Client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if review.Status.UserInfo.Username != "kybernetes-admin" {
		t.Fatalf("admin certificate authenticates as %q", review.Status.UserInfo.Username)
	}

	// TokenReview answers who a token is, for delegated authentication.
	for token, want := range map[string]string{"s3cret": "jane", "wrong": ""} {
		tr, err := server.Client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tr.Status.Authenticated != (want != "") || tr.Status.User.Username != want {
			t.Errorf("token review of %q: %+v", token, tr.Status)
		}
	}
	// jane may not review tokens: that is for system:auth-delegator.
	if _, err := jane.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
		Spec: authenticationv1.TokenReviewSpec{Token: "r00t"}}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("jane reviewing a token: want 403, got %v", err)
	}
}

func TestDataDirFilesArePrivate(t *testing.T) {
	dir := shared.Options.DataDir
	for _, rel := range []string{"admin.kubeconfig", "pki/ca.key", "pki/ca.crt", "pki/apiserver.key", "pki/admin.key"} {
		info, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", rel, info.Mode().Perm())
		}
	}
}

// TestProxyCredentials: the proxy kubeconfig the server writes may do what
// upstream's system:node-proxier role allows, and nothing more.
func TestProxyCredentials(t *testing.T) {
	ctx := context.Background()
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(shared.Options.DataDir, "proxy.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := kubernetes.NewForConfigOrDie(cfg)
	review, err := proxy.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if review.Status.UserInfo.Username != "system:kube-proxy" {
		t.Fatalf("proxy certificate authenticates as %q", review.Status.UserInfo.Username)
	}
	if _, err := proxy.CoreV1().Services("").List(ctx, metav1.ListOptions{FieldSelector: "spec.clusterIP!=None"}); err != nil {
		t.Errorf("list services: %v", err)
	}
	if _, err := proxy.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{LabelSelector: "!service.kubernetes.io/headless"}); err != nil {
		t.Errorf("list endpointslices: %v", err)
	}
	if _, err := proxy.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("list nodes: %v", err)
	}
	if _, err := proxy.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list secrets: want 403, got %v", err)
	}
	if err := proxy.CoreV1().Services("default").Delete(ctx, "kubernetes", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}); !apierrors.IsForbidden(err) {
		t.Errorf("delete a service: want 403, got %v", err)
	}
}
