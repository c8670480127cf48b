package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/client-go/util/keyutil"
)

type fakeLookup struct{ sa *corev1.ServiceAccount }

func (f fakeLookup) ServiceAccount(_ context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	if f.sa == nil || f.sa.Namespace != namespace || f.sa.Name != name {
		return nil, apierrors.NewNotFound(corev1.Resource("serviceaccounts"), name)
	}
	return f.sa, nil
}

func (fakeLookup) Pod(_ context.Context, _, name string) (*corev1.Pod, error) {
	return nil, apierrors.NewNotFound(corev1.Resource("pods"), name)
}

func TestIssueAndAuthenticate(t *testing.T) {
	key, err := EnsureKey(filepath.Join(t.TempDir(), "sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ci", UID: "u1"}}
	issuer := &Issuer{Key: key, Issuer: "https://issuer"}
	auth := &Authenticator{Keys: []crypto.PublicKey{key.Public()}, Issuer: "https://issuer", APIAudiences: []string{"https://issuer"}, Lookup: fakeLookup{sa}}

	good, _, err := issuer.Issue(Request{ServiceAccount: sa, Audiences: []string{"https://issuer"}, Expiration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	resp, ok, err := auth.AuthenticateToken(context.Background(), good)
	if err != nil || !ok || resp.User.GetName() != "system:serviceaccount:ns:ci" || resp.User.GetUID() != "u1" {
		t.Fatalf("a good token: %+v, %v, %v", resp, ok, err)
	}
	// Audiences asked for by the caller (TokenReview) replace the API's.
	if _, ok, _ := auth.AuthenticateToken(authenticator.WithAudiences(context.Background(), authenticator.Audiences{"vault"}), good); ok {
		t.Error("a token for the API authenticated for vault")
	}

	expired, _, err := issuer.Issue(Request{ServiceAccount: sa, Audiences: []string{"https://issuer"}, Expiration: -2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := auth.AuthenticateToken(context.Background(), expired); ok || err == nil {
		t.Errorf("an expired token: %v, %v", ok, err)
	}
	// Another issuer's token, or not a JWT at all: no opinion.
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _, _ := (&Issuer{Key: otherKey, Issuer: "https://other"}).Issue(Request{ServiceAccount: sa, Audiences: []string{"https://issuer"}, Expiration: time.Hour})
	for _, raw := range []string{other, "s3cret"} {
		if _, ok, err := auth.AuthenticateToken(context.Background(), raw); ok || err != nil {
			t.Errorf("a token not ours: %v, %v", ok, err)
		}
	}
	// A recreated service account (new UID) does not inherit tokens.
	auth.Lookup = fakeLookup{&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ci", UID: "u2"}}}
	if _, ok, err := auth.AuthenticateToken(context.Background(), good); ok || err == nil {
		t.Errorf("a token of the old service account: %v, %v", ok, err)
	}
}

// TestRotation: a token of the old RSA key still authenticates while that
// key is listed to verify with, and the key set publishes both keys.
func TestRotation(t *testing.T) {
	dir := t.TempDir()
	oldKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := keyutil.MarshalPrivateKeyToPEM(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	oldFile := filepath.Join(dir, "old.key")
	if err := os.WriteFile(oldFile, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	signing, err := LoadSigningKey(oldFile)
	if err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ci", UID: "u1"}}
	old, _, err := (&Issuer{Key: signing, Issuer: "https://issuer"}).Issue(Request{ServiceAccount: sa, Audiences: []string{"a"}, Expiration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := EnsureKey(filepath.Join(dir, "new.key"))
	if err != nil {
		t.Fatal(err)
	}
	verifyOld, err := LoadPublicKeys([]string{oldFile})
	if err != nil {
		t.Fatal(err)
	}
	auth := &Authenticator{Keys: append([]crypto.PublicKey{newKey.Public()}, verifyOld...), Issuer: "https://issuer", APIAudiences: []string{"a"}, Lookup: fakeLookup{sa}}
	if _, ok, err := auth.AuthenticateToken(context.Background(), old); !ok || err != nil {
		t.Fatalf("a token of the listed old key: %v, %v", ok, err)
	}
	auth.Keys = auth.Keys[:1]
	if _, ok, _ := auth.AuthenticateToken(context.Background(), old); ok {
		t.Fatal("a token of an old key no longer listed still authenticates")
	}
	_, keySet, err := DiscoveryHandlers("https://issuer", append([]crypto.PublicKey{newKey.Public()}, verifyOld...))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	keySet.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, KeySetPath, nil))
	var set struct {
		Keys []struct{ Kty, Alg, Kid string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 2 ||
		set.Keys[0].Alg != "ES256" || set.Keys[1].Kty != "RSA" || set.Keys[1].Kid != KeyID(&oldKey.PublicKey) {
		t.Fatalf("key set %s: %v", rec.Body.String(), err)
	}
}
