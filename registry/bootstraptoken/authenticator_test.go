package bootstraptoken

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAuthenticateToken(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	secret := func(mutate func(*corev1.Secret)) *corev1.Secret {
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-abcdef", Namespace: "kube-system"},
			Type:       "bootstrap.kubernetes.io/token",
			Data: map[string][]byte{
				"token-id": []byte("abcdef"), "token-secret": []byte("0123456789abcdef"),
				"usage-bootstrap-authentication": []byte("true"), "auth-extra-groups": []byte("system:bootstrappers:a"),
				"expiration": []byte(now.Add(time.Hour).Format(time.RFC3339)),
			},
		}
		if mutate != nil {
			mutate(s)
		}
		return s
	}
	for name, tc := range map[string]struct {
		token  string
		secret *corev1.Secret
		ok     bool
	}{
		"valid":           {"abcdef.0123456789abcdef", secret(nil), true},
		"not a bootstrap": {"some-other-token", secret(nil), false},
		"wrong secret":    {"abcdef.ffffffffffffffff", secret(nil), false},
		"no secret":       {"abcdef.0123456789abcdef", nil, false},
		"expired": {"abcdef.0123456789abcdef", secret(func(s *corev1.Secret) {
			s.Data["expiration"] = []byte(now.Add(-time.Second).Format(time.RFC3339))
		}), false},
		"not for authentication": {"abcdef.0123456789abcdef", secret(func(s *corev1.Secret) { delete(s.Data, "usage-bootstrap-authentication") }), false},
		"wrong type":             {"abcdef.0123456789abcdef", secret(func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque }), false},
		"being deleted":          {"abcdef.0123456789abcdef", secret(func(s *corev1.Secret) { s.DeletionTimestamp = &metav1.Time{Time: now} }), false},
		"bad extra group":        {"abcdef.0123456789abcdef", secret(func(s *corev1.Secret) { s.Data["auth-extra-groups"] = []byte("not-bootstrappers") }), false},
	} {
		a := &Authenticator{now: func() time.Time { return now }, Secret: func(_ context.Context, name string) (*corev1.Secret, error) {
			if tc.secret == nil || name != tc.secret.Name {
				return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
			}
			return tc.secret, nil
		}}
		resp, ok, err := a.AuthenticateToken(context.Background(), tc.token)
		if err != nil || ok != tc.ok {
			t.Errorf("%s: ok %v err %v, want ok %v", name, ok, err, tc.ok)
			continue
		}
		if ok {
			if u := resp.User; u.GetName() != "system:bootstrap:abcdef" || len(u.GetGroups()) != 2 || u.GetGroups()[0] != "system:bootstrappers" || u.GetGroups()[1] != "system:bootstrappers:a" {
				t.Errorf("%s: user %q groups %v", name, u.GetName(), u.GetGroups())
			}
		}
	}
}
