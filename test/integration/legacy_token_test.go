package integration

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// A kubernetes.io/service-account-token Secret made for an account gets a
// long-lived token (with the cluster CA and the namespace) that
// authenticates as the account while the Secret holds it: not once it is
// marked invalid, changed, or its account is gone — then the Secret goes
// too.
func TestLegacyServiceAccountTokens(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	sa, err := shared.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "legacy"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := shared.Client.CoreV1().Secrets(ns)
	if _, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "legacy-token",
		Annotations: map[string]string{corev1.ServiceAccountNameKey: "legacy"}}, Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var secret *corev1.Secret
	waitFor(t, "the token controller to fill the secret", func(ctx context.Context) bool {
		secret, err = secrets.Get(ctx, "legacy-token", metav1.GetOptions{})
		return err == nil && len(secret.Data[corev1.ServiceAccountTokenKey]) > 0
	})
	ca, err := os.ReadFile(filepath.Join(shared.Options.DataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(secret.Data[corev1.ServiceAccountRootCAKey], ca) || string(secret.Data[corev1.ServiceAccountNamespaceKey]) != ns || secret.Annotations[corev1.ServiceAccountUIDKey] != string(sa.UID) {
		t.Errorf("filled secret: ca.crt %d bytes, namespace %q, annotations %v", len(secret.Data[corev1.ServiceAccountRootCAKey]),
			secret.Data[corev1.ServiceAccountNamespaceKey], secret.Annotations)
	}
	token := string(secret.Data[corev1.ServiceAccountTokenKey])
	withToken := func(token string) kubernetes.Interface {
		cfg := rest.AnonymousClientConfig(shared.Config)
		cfg.BearerToken = token
		return kubernetes.NewForConfigOrDie(cfg)
	}
	review, err := withToken(token).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := review.Status.UserInfo; u.Username != "system:serviceaccount:"+ns+":legacy" || u.UID != string(sa.UID) ||
		strings.Join(u.Groups, ",") != "system:serviceaccounts,system:serviceaccounts:"+ns+",system:authenticated" {
		t.Fatalf("the legacy token authenticates as %+v", u)
	}
	// Its use is recorded on the Secret, by the day.
	waitFor(t, "the last-used label", func(ctx context.Context) bool {
		secret, err = secrets.Get(ctx, "legacy-token", metav1.GetOptions{})
		return err == nil && len(secret.Labels["kubernetes.io/legacy-token-last-used"]) == len("2006-01-02")
	})

	unauthorized := func(what, token string) {
		t.Helper()
		_, err := withToken(token).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if !apierrors.IsUnauthorized(err) {
			t.Errorf("%s: want 401, got %v", what, err)
		}
	}
	// Marked invalid, it no longer works; unmarked, it works again.
	if _, err := updateLatest(ctx, "legacy-token", secrets.Get, secrets.Update, func(s *corev1.Secret) {
		s.Labels["kubernetes.io/legacy-token-invalid-since"] = "2026-01-01"
	}); err != nil {
		t.Fatal(err)
	}
	unauthorized("a token marked invalid", token)
	if _, err := updateLatest(ctx, "legacy-token", secrets.Get, secrets.Update, func(s *corev1.Secret) {
		delete(s.Labels, "kubernetes.io/legacy-token-invalid-since")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := withToken(token).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{}); err != nil {
		t.Errorf("the token after the invalid mark was removed: %v", err)
	}

	// A token the Secret does not hold (signed right, but replaced) fails.
	if _, err := updateLatest(ctx, "legacy-token", secrets.Get, secrets.Update, func(s *corev1.Secret) {
		s.Data[corev1.ServiceAccountTokenKey] = []byte("replaced")
	}); err != nil {
		t.Fatal(err)
	}
	unauthorized("a token its Secret no longer holds", token)

	// With the account gone, the controller deletes its token Secrets.
	if _, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "second",
		Annotations: map[string]string{corev1.ServiceAccountNameKey: "legacy"}}, Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var second *corev1.Secret
	waitFor(t, "the second secret filled", func(ctx context.Context) bool {
		second, err = secrets.Get(ctx, "second", metav1.GetOptions{})
		return err == nil && len(second.Data[corev1.ServiceAccountTokenKey]) > 0
	})
	if err := shared.Client.CoreV1().ServiceAccounts(ns).Delete(ctx, "legacy", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	unauthorized("the token of a deleted account", string(second.Data[corev1.ServiceAccountTokenKey]))
	waitFor(t, "the token secrets of the deleted account removed", func(ctx context.Context) bool {
		list, err := secrets.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, s := range list.Items {
			if s.Type == corev1.SecretTypeServiceAccountToken {
				return false
			}
		}
		return true
	})

	// A secret naming an account that does not exist is deleted too.
	if _, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orphan",
		Annotations: map[string]string{corev1.ServiceAccountNameKey: "nobody"}}, Type: corev1.SecretTypeServiceAccountToken}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the secret of a missing account deleted", func(ctx context.Context) bool {
		_, err := secrets.Get(ctx, "orphan", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}
