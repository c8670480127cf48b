package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
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
	auth := &Authenticator{Key: &key.PublicKey, Issuer: "https://issuer", APIAudiences: []string{"https://issuer"}, Lookup: fakeLookup{sa}}

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
