package registry

import (
	"context"
	"crypto"
	"fmt"

	"github.com/kybernetes/kybernetes/registry/bootstraptoken"
	"github.com/kybernetes/kybernetes/registry/oidc"
	"github.com/kybernetes/kybernetes/registry/serviceaccount/token"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/anonymous"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/request/union"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	tokenunion "k8s.io/apiserver/pkg/authentication/token/union"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// authentication is how the server knows who asks: by request (client
// certificate or bearer token), and by token alone for TokenReview.
type authentication struct {
	request authenticator.Request
	tokens  authenticator.Token
	// The server's own service account tokens: serviceAccounts checks
	// them (its Lookup set once storage exists), issuer signs them.
	serviceAccounts *token.Authenticator
	issuer          *token.Issuer
	audiences       []string
	// bootstrapTokens, with --enable-bootstrap-token-auth, checks
	// bootstrap tokens against their kube-system Secrets (its Secret set
	// once storage exists); nil otherwise.
	bootstrapTokens *bootstraptoken.Authenticator
}

// serviceAccountTokens is where the server's service account tokens come
// from: its signing key, issuer and the audiences it accepts.
type serviceAccountTokens struct {
	// defaultKeyFile is made when signingKeyFile is not given.
	defaultKeyFile, signingKeyFile string
	// keyFiles hold more keys to verify with.
	keyFiles  []string
	issuer    string
	audiences []string
}

// newAuthentication accepts client certificates signed by the cluster CA
// (user from CN, groups from O), the server's own service account tokens
// and, when a token file is given, static bearer tokens, and with
// bootstrapTokens the bootstrap tokens of new nodes, and with oidcOptions an
// external issuer's ID tokens. With anonymousAuth, a request that presents no
// credentials is system:anonymous; one that presents bad credentials is
// refused with 401 all the same, as upstream does.
func newAuthentication(ctx context.Context, clientCA *dynamiccertificates.DynamicFileCAContent, tokenAuthFile string, bootstrapTokens bool,
	oidcOptions oidc.Options, anonymousAuth bool, sa serviceAccountTokens) (*authentication, error) {
	authenticators := []authenticator.Request{
		x509request.NewDynamic(clientCA.VerifyOptions, x509request.CommonNameUserConversion),
	}
	var key crypto.Signer
	var err error
	if sa.signingKeyFile != "" {
		key, err = token.LoadSigningKey(sa.signingKeyFile)
	} else {
		key, err = token.EnsureKey(sa.defaultKeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("the service account signing key: %w", err)
	}
	more, err := token.LoadPublicKeys(sa.keyFiles)
	if err != nil {
		return nil, fmt.Errorf("--service-account-key-file: %w", err)
	}
	a := &authentication{
		serviceAccounts: &token.Authenticator{Keys: append([]crypto.PublicKey{key.Public()}, more...), Issuer: sa.issuer, APIAudiences: sa.audiences},
		issuer:          &token.Issuer{Key: key, Issuer: sa.issuer},
		audiences:       sa.audiences,
	}
	tokenAuthenticators := []authenticator.Token{a.serviceAccounts}
	if tokenAuthFile != "" {
		tokens, err := tokenfile.NewCSV(tokenAuthFile)
		if err != nil {
			return nil, err
		}
		tokenAuthenticators = append(tokenAuthenticators, tokens)
	}
	if oidcOptions.Enabled() {
		// Fetches the issuer's keys until the server stops.
		ids, err := oidc.New(ctx, oidcOptions, []string{sa.issuer})
		if err != nil {
			return nil, err
		}
		tokenAuthenticators = append(tokenAuthenticators, ids)
	}
	if bootstrapTokens {
		a.bootstrapTokens = &bootstraptoken.Authenticator{}
		tokenAuthenticators = append(tokenAuthenticators, a.bootstrapTokens)
	}
	a.tokens = tokenunion.New(tokenAuthenticators...)
	authenticators = append(authenticators, bearertoken.New(a.tokens))
	a.request = group.NewAuthenticatedGroupAdder(union.New(authenticators...))
	if anonymousAuth {
		a.request = union.NewFailOnError(a.request, anonymous.NewAuthenticator(nil))
	}
	return a, nil
}
