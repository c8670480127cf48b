package integration

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kybernetes/kybernetes/registry"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// issuer is an OpenID Connect provider on loopback: discovery, a JWKS of
// one RSA key, and ID tokens signed with it.
type issuer struct {
	*httptest.Server
	key *rsa.PrivateKey
}

func startIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]interface{}{
			"issuer": iss.URL, "jwks_uri": iss.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]interface{}{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "test-key",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	iss.Server = httptest.NewTLSServer(mux)
	t.Cleanup(iss.Close)
	return iss
}

// token is an RS256 JWT of claims signed with key.
func signToken(t *testing.T, key *rsa.PrivateKey, claims map[string]interface{}) string {
	t.Helper()
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "test-key"})
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestOIDCAuthentication: --oidc-* flags let an external issuer's ID
// tokens in, with upstream's username prefixing, groups claim and prefix
// and required claims; a token for another audience, expired, lacking a
// required claim or signed by another key is a 401.
func TestOIDCAuthentication(t *testing.T) {
	iss := startIssuer(t)
	caFile := filepath.Join(t.TempDir(), "issuer-ca.crt")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: iss.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	server := framework.Start(t, framework.Setup{WithoutControllers: true, Customize: func(o *registry.Options) {
		o.OIDC.IssuerURL, o.OIDC.ClientID, o.OIDC.CAFile = iss.URL, "kybernetes", caFile
		o.OIDC.GroupsClaim, o.OIDC.GroupsPrefix = "groups", "oidc:"
		o.OIDC.RequiredClaims = map[string]string{"hd": "example.com"}
	}})
	claims := func(mutate func(map[string]interface{})) map[string]interface{} {
		c := map[string]interface{}{
			"iss": iss.URL, "aud": "kybernetes", "sub": "alice", "groups": []string{"devs"}, "hd": "example.com",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		}
		if mutate != nil {
			mutate(c)
		}
		return c
	}
	whoami := func(token string) (authenticationv1.UserInfo, error) {
		cfg := rest.AnonymousClientConfig(server.Config)
		cfg.BearerToken = token
		review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return authenticationv1.UserInfo{}, err
		}
		return review.Status.UserInfo, nil
	}
	good := signToken(t, iss.key, claims(nil))
	var user authenticationv1.UserInfo
	var err error
	// The authenticator reads the issuer's keys in the background.
	waitFor(t, "an ID token to authenticate", func(ctx context.Context) bool {
		user, err = whoami(good)
		return err == nil
	})
	if user.Username != iss.URL+"#alice" || strings.Join(user.Groups, ",") != "oidc:devs,system:authenticated" {
		t.Errorf("the ID token authenticates as %q in %v", user.Username, user.Groups)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for why, token := range map[string]string{
		"another audience":           signToken(t, iss.key, claims(func(c map[string]interface{}) { c["aud"] = "someone-else" })),
		"expired":                    signToken(t, iss.key, claims(func(c map[string]interface{}) { c["exp"] = time.Now().Add(-time.Hour).Unix() })),
		"without the required claim": signToken(t, iss.key, claims(func(c map[string]interface{}) { delete(c, "hd") })),
		"another issuer's key":       signToken(t, other, claims(nil)),
	} {
		if _, err := whoami(token); !apierrors.IsUnauthorized(err) {
			t.Errorf("%s: want 401, got %v", why, err)
		}
	}
}
