// Package bootstraptoken authenticates bootstrap tokens
// (--enable-bootstrap-token-auth): short-lived bearer tokens of the form
// <id>.<secret>, each kept as a kube-system Secret named
// bootstrap-token-<id> of type bootstrap.kubernetes.io/token, with which a
// new node asks for its client certificate (kubelet TLS bootstrap) or
// `kubeadm join` finds the cluster.
//
// A token authenticates as system:bootstrap:<id> in system:bootstrappers
// (and the Secret's auth-extra-groups) while its Secret exists, is not
// being deleted, has not expired and is marked
// usage-bootstrap-authentication=true. Anything else is not this
// authenticator's token: the request goes on to the others, and is
// refused with 401 if none knows it, never saying why.
package bootstraptoken

import (
	"context"
	"crypto/subtle"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
	bootstrapsecrets "k8s.io/cluster-bootstrap/util/secrets"
	bootstraptokens "k8s.io/cluster-bootstrap/util/tokens"
	"k8s.io/klog/v2"
)

// Authenticator checks bootstrap tokens against their Secrets.
type Authenticator struct {
	// Secret reads a kube-system Secret; set once storage exists.
	Secret func(ctx context.Context, name string) (*corev1.Secret, error)
	now    func() time.Time
}

var _ authenticator.Token = &Authenticator{}

// AuthenticateToken implements authenticator.Token.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	id, secretPart, err := bootstraptokens.ParseToken(token)
	if err != nil || a.Secret == nil {
		return nil, false, nil // not a bootstrap token
	}
	name := bootstrapapi.BootstrapTokenSecretPrefix + id
	secret, err := a.Secret(ctx, name)
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	// Why a token is refused goes to the log at a level operators turn on
	// to debug joins, never to the client.
	refuse := func(why string) (*authenticator.Response, bool, error) {
		klog.V(3).InfoS("Bootstrap token refused", "secret", bootstrapapi.BootstrapTokenSecretPrefix+id, "reason", why)
		return nil, false, nil
	}
	switch {
	case secret.DeletionTimestamp != nil:
		return refuse("the secret is being deleted")
	case secret.Type != bootstrapapi.SecretTypeBootstrapToken || secret.Data == nil:
		return refuse("the secret is not of type " + string(bootstrapapi.SecretTypeBootstrapToken))
	case subtle.ConstantTimeCompare([]byte(bootstrapsecrets.GetData(secret, bootstrapapi.BootstrapTokenSecretKey)), []byte(secretPart)) != 1:
		return refuse("the token secret does not match")
	case bootstrapsecrets.GetData(secret, bootstrapapi.BootstrapTokenIDKey) != id:
		return refuse("the token id does not match")
	case bootstrapsecrets.HasExpired(secret, a.clock()):
		return refuse("expired")
	case bootstrapsecrets.GetData(secret, bootstrapapi.BootstrapTokenUsageAuthentication) != "true":
		return refuse("not marked " + bootstrapapi.BootstrapTokenUsageAuthentication + "=true")
	}
	groups, err := bootstrapsecrets.GetGroups(secret)
	if err != nil {
		return refuse(err.Error())
	}
	return &authenticator.Response{User: &user.DefaultInfo{Name: bootstrapapi.BootstrapUserPrefix + id, Groups: groups}}, true, nil
}

func (a *Authenticator) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}
