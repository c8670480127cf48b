package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// TestServiceAccountTokens: TokenRequest issues a token that
// authenticates as the service account, with the rights bound to it; a
// pod-bound token dies with its pod, every token with its service
// account; forged tokens and bad requests are refused.
func TestServiceAccountTokens(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	sa, err := shared.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ci"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	request := func(spec authenticationv1.TokenRequestSpec) (string, error) {
		tr, err := shared.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "ci", &authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
		if err != nil {
			return "", err
		}
		return tr.Status.Token, nil
	}
	withToken := func(token string) kubernetes.Interface {
		cfg := rest.AnonymousClientConfig(shared.Config)
		cfg.BearerToken = token
		return kubernetes.NewForConfigOrDie(cfg)
	}
	token, err := request(authenticationv1.TokenRequestSpec{})
	if err != nil {
		t.Fatal(err)
	}
	review, err := withToken(token).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := review.Status.UserInfo; u.Username != "system:serviceaccount:"+ns+":ci" || u.UID != string(sa.UID) ||
		strings.Join(u.Groups, ",") != "system:serviceaccounts,system:serviceaccounts:"+ns+",system:authenticated" {
		t.Fatalf("the token authenticates as %+v", u)
	}
	// Its rights are those bound to it.
	if _, err := withToken(token).CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("unbound service account lists pods: want 403, got %v", err)
	}
	_, err = shared.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ci"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "ci"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the token lists pods", func(ctx context.Context) bool {
		_, err := withToken(token).CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err == nil
	})
	// TokenReview agrees.
	tr, err := shared.Client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil || !tr.Status.Authenticated || tr.Status.User.Username != "system:serviceaccount:"+ns+":ci" {
		t.Fatalf("token review: %+v, %v", tr, err)
	}
	// OIDC discovery, for service accounts: the issuer and a key set that
	// verifies the token.
	sat := withToken(token).Discovery().RESTClient()
	raw, err := sat.Get().AbsPath("/.well-known/openid-configuration").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var config struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(raw, &config); err != nil || config.Issuer != "https://kubernetes.default.svc.cluster.local" ||
		config.JWKSURI != config.Issuer+"/openid/v1/jwks" {
		t.Fatalf("openid configuration %s: %v", raw, err)
	}
	raw, err = sat.Get().AbsPath("/openid/v1/jwks").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys struct {
		Keys []struct{ Kid, Crv, X, Y string } `json:"keys"`
	}
	if err := json.Unmarshal(raw, &keys); err != nil || len(keys.Keys) != 1 {
		t.Fatalf("key set %s: %v", raw, err)
	}
	coord := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(b)
	}
	published := &ecdsa.PublicKey{Curve: elliptic.P256(), X: coord(keys.Keys[0].X), Y: coord(keys.Keys[0].Y)}
	parsed, err := jwt.Parse(token, func(tok *jwt.Token) (interface{}, error) {
		if tok.Header["kid"] != keys.Keys[0].Kid {
			t.Errorf("token kid %v, key set kid %s", tok.Header["kid"], keys.Keys[0].Kid)
		}
		return published, nil
	}, jwt.WithValidMethods([]string{"ES256"}))
	if err != nil || !parsed.Valid {
		t.Fatalf("the published key does not verify the token: %v", err)
	}
	// A forged token (the signature of another) and one for another
	// audience: 401.
	parts := strings.Split(token, ".")
	other, err := request(authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}})
	if err != nil {
		t.Fatal(err)
	}
	forged := parts[0] + "." + parts[1] + "." + strings.Split(other, ".")[2]
	for what, bad := range map[string]string{"forged": forged, "other audience": other} {
		if _, err := withToken(bad).CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
			t.Errorf("%s token: want 401, got %v", what, err)
		}
	}
	// Bad requests: 422 with upstream's messages.
	short := int64(60)
	if _, err := request(authenticationv1.TokenRequestSpec{ExpirationSeconds: &short}); !apierrors.IsInvalid(err) ||
		!strings.Contains(err.Error(), "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes") {
		t.Errorf("a 60s token: want 422, got %v", err)
	}
	if _, err := shared.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "nobody", &authenticationv1.TokenRequest{}, metav1.CreateOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a token of a missing service account: want 404, got %v", err)
	}

	// A pod-bound token stops working when the pod is deleted.
	pod, err := shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{ServiceAccountName: "ci", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bound, err := request(authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "p", UID: pod.UID}})
	if err != nil {
		t.Fatal(err)
	}
	review, err = withToken(bound).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := review.Status.UserInfo.Extra["authentication.kubernetes.io/pod-uid"]; len(got) != 1 || got[0] != string(pod.UID) {
		t.Errorf("bound token's extra: %+v", review.Status.UserInfo.Extra)
	}
	if err := shared.Client.CoreV1().Pods(ns).Delete(ctx, "p", *metav1.NewDeleteOptions(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := withToken(bound).CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
		t.Errorf("token of a deleted pod: want 401, got %v", err)
	}
	// Every token of a deleted service account stops working.
	if err := shared.Client.CoreV1().ServiceAccounts(ns).Delete(ctx, "ci", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := withToken(token).CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
		t.Errorf("token of a deleted service account: want 401, got %v", err)
	}
}
