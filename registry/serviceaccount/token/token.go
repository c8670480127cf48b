// Package token issues and checks service account tokens: JWTs signed by
// the server's service account key (ES256), with upstream's claims —
// iss, sub (system:serviceaccount:<ns>:<name>), aud, exp, iat, nbf, jti
// and the kubernetes.io claim naming the service account and, for a bound
// token, the pod it lives and dies with.
package token

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
)

// Ref names an object a token refers to.
type Ref struct {
	Name string    `json:"name"`
	UID  types.UID `json:"uid"`
}

// kubernetesClaims is the "kubernetes.io" claim.
type kubernetesClaims struct {
	Namespace      string `json:"namespace"`
	ServiceAccount Ref    `json:"serviceaccount"`
	Pod            *Ref   `json:"pod,omitempty"`
	Node           *Ref   `json:"node,omitempty"`
	// WarnAfter is when an extended token should have expired.
	WarnAfter *jwt.NumericDate `json:"warnafter,omitempty"`
}

type claims struct {
	jwt.RegisteredClaims
	Kubernetes kubernetesClaims `json:"kubernetes.io"`
}

// Issuer signs tokens with an ECDSA P-256 (ES256) or RSA (RS256) key.
type Issuer struct {
	Key    crypto.Signer
	Issuer string
}

// Request is what a token says.
type Request struct {
	ServiceAccount *corev1.ServiceAccount
	Audiences      []string
	Expiration     time.Duration
	// Pod, when set, binds the token: it stops working once the pod is
	// gone or replaced.
	Pod *corev1.Pod
	// WarnAfter, when set, is the expiration asked for of a token issued
	// for longer (the extended tokens of projected volumes).
	WarnAfter time.Duration
}

// Issue signs a token for the request; it returns the token and when it
// expires.
func (i *Issuer) Issue(r Request) (string, time.Time, error) {
	now := time.Now()
	exp := now.Add(r.Expiration)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.Issuer,
			Subject:   serviceaccount.MakeUsername(r.ServiceAccount.Namespace, r.ServiceAccount.Name),
			Audience:  r.Audiences,
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
		Kubernetes: kubernetesClaims{
			Namespace:      r.ServiceAccount.Namespace,
			ServiceAccount: Ref{Name: r.ServiceAccount.Name, UID: r.ServiceAccount.UID},
		},
	}
	if r.WarnAfter > 0 {
		c.Kubernetes.WarnAfter = jwt.NewNumericDate(now.Add(r.WarnAfter))
	}
	if p := r.Pod; p != nil {
		c.Kubernetes.Pod = &Ref{Name: p.Name, UID: p.UID}
		if p.Spec.NodeName != "" {
			c.Kubernetes.Node = &Ref{Name: p.Spec.NodeName}
		}
	}
	m, err := method(i.Key.Public())
	if err != nil {
		return "", time.Time{}, err
	}
	t := jwt.NewWithClaims(m, c)
	t.Header["kid"] = KeyID(i.Key.Public())
	signed, err := t.SignedString(i.Key)
	return signed, exp, err
}

// Lookup reads the objects a token names, from storage, so that a token
// of a deleted service account or pod stops working at once.
type Lookup interface {
	ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	Pod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
}

// Authenticator checks tokens signed by one of Keys (the signing key's,
// and those of --service-account-key-file: keys being rotated out).
// Lookup is set once the storage exists; until then no token
// authenticates.
type Authenticator struct {
	Keys         []crypto.PublicKey
	Issuer       string
	APIAudiences []string
	Lookup       Lookup
	// Legacy, once set, lets secret-based tokens authenticate too.
	Legacy LegacyLookup
}

var _ authenticator.Token = &Authenticator{}

// errInvalid is all a client learns of why a token was refused.
var errInvalid = errors.New("invalid bearer token")

// AuthenticateToken implements authenticator.Token. A token that is not a
// JWT of this issuer is not ours: no opinion, for other authenticators.
func (a *Authenticator) AuthenticateToken(ctx context.Context, raw string) (*authenticator.Response, bool, error) {
	if isLegacy(raw) {
		return a.authenticateLegacy(ctx, raw)
	}
	var c claims
	keys := jwt.VerificationKeySet{}
	for _, k := range a.Keys {
		keys.Keys = append(keys.Keys, k)
	}
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (interface{}, error) { return keys, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg(), jwt.SigningMethodRS256.Alg()}), jwt.WithIssuer(a.Issuer), jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute))
	if err != nil {
		if errors.Is(err, jwt.ErrTokenMalformed) || errors.Is(err, jwt.ErrTokenInvalidIssuer) || errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			return nil, false, nil
		}
		return nil, false, errInvalid
	}
	audiences, ok := authenticator.AudiencesFrom(ctx)
	if !ok || len(audiences) == 0 {
		audiences = a.APIAudiences
	}
	var matched authenticator.Audiences
	for _, aud := range c.Audience {
		if slices.Contains(audiences, aud) {
			matched = append(matched, aud)
		}
	}
	if len(matched) == 0 {
		return nil, false, errInvalid
	}
	k := c.Kubernetes
	if a.Lookup == nil || c.Subject != serviceaccount.MakeUsername(k.Namespace, k.ServiceAccount.Name) {
		return nil, false, errInvalid
	}
	// An object being deleted still vouches for its tokens for a minute
	// past its deletion time, as upstream: a pod's graceful termination
	// (preStop hooks, draining) keeps its API access.
	deletedBefore := time.Now().Add(-time.Minute)
	gone := func(deleted *metav1.Time) bool { return deleted != nil && deleted.Time.Before(deletedBefore) }
	sa, err := a.Lookup.ServiceAccount(ctx, k.Namespace, k.ServiceAccount.Name)
	if err != nil || sa.UID != k.ServiceAccount.UID || gone(sa.DeletionTimestamp) {
		return nil, false, lookupError(err)
	}
	extra := map[string][]string{"authentication.kubernetes.io/credential-id": {"JTI=" + c.ID}}
	if k.Pod != nil {
		pod, err := a.Lookup.Pod(ctx, k.Namespace, k.Pod.Name)
		if err != nil || pod.UID != k.Pod.UID || gone(pod.DeletionTimestamp) {
			return nil, false, lookupError(err)
		}
		extra[serviceaccount.PodNameKey] = []string{pod.Name}
		extra[serviceaccount.PodUIDKey] = []string{string(pod.UID)}
		if k.Node != nil {
			extra[serviceaccount.NodeNameKey] = []string{k.Node.Name}
		}
	}
	u := &user.DefaultInfo{
		Name:   c.Subject,
		UID:    string(sa.UID),
		Groups: serviceaccount.MakeGroupNames(k.Namespace),
		Extra:  extra,
	}
	return &authenticator.Response{User: u, Audiences: matched}, true, nil
}

// lookupError keeps a missing object a plain 401, but lets a storage
// failure be seen as one.
func lookupError(err error) error {
	if err == nil || apierrors.IsNotFound(err) {
		return errInvalid
	}
	return fmt.Errorf("checking the token's objects: %w", err)
}
