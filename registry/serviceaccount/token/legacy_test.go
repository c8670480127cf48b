package token

import (
	"context"
	"crypto"
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

type fakeSecrets struct {
	secret *corev1.Secret
	marked []string
}

func (f *fakeSecrets) Secret(_ context.Context, namespace, name string) (*corev1.Secret, error) {
	if f.secret == nil || f.secret.Namespace != namespace || f.secret.Name != name {
		return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
	}
	return f.secret, nil
}

func (f *fakeSecrets) MarkUsed(_ context.Context, secret *corev1.Secret, day string) error {
	f.marked = append(f.marked, day)
	secret.Labels = map[string]string{LastUsedLabel: day}
	return nil
}

func TestLegacyTokens(t *testing.T) {
	key, err := EnsureKey(filepath.Join(t.TempDir(), "sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ci", UID: "u1"}}
	raw, err := (&Issuer{Key: key}).IssueLegacy(sa, "ci-token")
	if err != nil {
		t.Fatal(err)
	}
	secrets := &fakeSecrets{secret: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ci-token"},
		Data: map[string][]byte{corev1.ServiceAccountTokenKey: []byte(raw)}}}
	auth := &Authenticator{Keys: []crypto.PublicKey{key.Public()}, Issuer: "https://issuer", APIAudiences: []string{"https://issuer"},
		Lookup: fakeLookup{sa}, Legacy: secrets}

	for range 2 {
		resp, ok, err := auth.AuthenticateToken(context.Background(), raw)
		if err != nil || !ok || resp.User.GetName() != "system:serviceaccount:ns:ci" || resp.User.GetUID() != "u1" ||
			len(resp.Audiences) != 1 || resp.Audiences[0] != "https://issuer" {
			t.Fatalf("a legacy token: %+v, %v, %v", resp, ok, err)
		}
	}
	if today := time.Now().UTC().Format(time.DateOnly); len(secrets.marked) != 1 || secrets.marked[0] != today {
		t.Errorf("last-used writes %v, want one of %s", secrets.marked, today)
	}
	// Not for another audience (a TokenReview asking for vault).
	if _, ok, _ := auth.AuthenticateToken(authenticator.WithAudiences(context.Background(), authenticator.Audiences{"vault"}), raw); ok {
		t.Error("a legacy token authenticated for vault")
	}
	// Signed by another key: not ours.
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forged, _ := (&Issuer{Key: otherKey}).IssueLegacy(sa, "ci-token")
	if _, ok, err := auth.AuthenticateToken(context.Background(), forged); ok || err != nil {
		t.Errorf("another key's legacy token: %v, %v", ok, err)
	}
	// Marked invalid, or of a recreated account, or no longer in its
	// Secret: refused.
	secrets.secret.Labels[InvalidSinceLabel] = "2026-01-01"
	if _, ok, err := auth.AuthenticateToken(context.Background(), raw); ok || err == nil {
		t.Errorf("a token marked invalid: %v, %v", ok, err)
	}
	delete(secrets.secret.Labels, InvalidSinceLabel)
	auth.Lookup = fakeLookup{&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ci", UID: "u2"}}}
	if _, ok, err := auth.AuthenticateToken(context.Background(), raw); ok || err == nil {
		t.Errorf("a token of the old account: %v, %v", ok, err)
	}
	auth.Lookup = fakeLookup{sa}
	secrets.secret.Data[corev1.ServiceAccountTokenKey] = []byte("other")
	if _, ok, err := auth.AuthenticateToken(context.Background(), raw); ok || err == nil {
		t.Errorf("a token its Secret no longer holds: %v, %v", ok, err)
	}
}
