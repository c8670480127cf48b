// Package oidc is the API server's --oidc-* flags: ID tokens of an
// external OpenID Connect issuer authenticate users, checked by
// k8s.io/apiserver's JWT authenticator (the one kube-apiserver uses),
// configured from the flags the way kube-apiserver turns them into a
// JWTAuthenticator.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/pflag"
	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	oidcauth "k8s.io/apiserver/plugin/pkg/authenticator/token/oidc"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/utils/ptr"
)

// Options are upstream's --oidc-* flags.
type Options struct {
	IssuerURL      string
	ClientID       string
	CAFile         string
	UsernameClaim  string
	UsernamePrefix string
	GroupsClaim    string
	GroupsPrefix   string
	SigningAlgs    []string
	RequiredClaims map[string]string
}

// Defaults are upstream's: the sub claim, RS256.
func Defaults() Options {
	return Options{UsernameClaim: "sub", SigningAlgs: []string{"RS256"}, RequiredClaims: map[string]string{}}
}

// AddFlags registers the flags with upstream's names and help.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.IssuerURL, "oidc-issuer-url", o.IssuerURL, "The URL of the OpenID issuer, only HTTPS scheme will be accepted. If set, it will be used to verify the OIDC JSON Web Token (JWT).")
	fs.StringVar(&o.ClientID, "oidc-client-id", o.ClientID, "The client ID for the OpenID Connect client, must be set if oidc-issuer-url is set.")
	fs.StringVar(&o.CAFile, "oidc-ca-file", o.CAFile, "If set, the OpenID server's certificate will be verified by one of the authorities in the oidc-ca-file, otherwise the host's root CA set will be used.")
	fs.StringVar(&o.UsernameClaim, "oidc-username-claim", o.UsernameClaim, "The OpenID claim to use as the user name. Note that claims other than the default ('sub') is not guaranteed to be unique and immutable.")
	fs.StringVar(&o.UsernamePrefix, "oidc-username-prefix", o.UsernamePrefix, "If provided, all usernames will be prefixed with this value. If not provided, username claims other than 'email' are prefixed by the issuer URL to avoid clashes. To skip any prefixing, provide the value '-'.")
	fs.StringVar(&o.GroupsClaim, "oidc-groups-claim", o.GroupsClaim, "If provided, the name of a custom OpenID Connect claim for specifying user groups. The claim value is expected to be a string or array of strings.")
	fs.StringVar(&o.GroupsPrefix, "oidc-groups-prefix", o.GroupsPrefix, "If provided, all groups will be prefixed with this value to prevent conflicts with other authentication strategies.")
	fs.StringSliceVar(&o.SigningAlgs, "oidc-signing-algs", o.SigningAlgs, "Comma-separated list of allowed JOSE asymmetric signing algorithms. JWTs with a supported 'alg' header values are: RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512.")
	fs.Var(cliflag.NewMapStringStringNoSplit(&o.RequiredClaims), "oidc-required-claim", "A key=value pair that describes a required claim in the ID Token. If set, the claim is verified to be present in the ID Token with a matching value. Repeat this flag to specify multiple claims.")
}

// Enabled reports whether an issuer is configured.
func (o *Options) Enabled() bool { return o.IssuerURL != "" }

// Validate says what is wrong with the flags.
func (o *Options) Validate() []error {
	var errs []error
	if (o.IssuerURL == "") != (o.ClientID == "") {
		errs = append(errs, errors.New("oidc-issuer-url and oidc-client-id must be specified together"))
	}
	if o.Enabled() && o.UsernameClaim == "" {
		errs = append(errs, errors.New("--oidc-username-claim must not be empty"))
	}
	return errs
}

// JWTAuthenticator is the structured configuration the flags mean. A
// username claim other than email gets the issuer URL and "#" as prefix
// unless --oidc-username-prefix says otherwise ("-": none), as upstream,
// so that a sub from the issuer cannot pose as a local user.
func (o *Options) JWTAuthenticator() (apiserver.JWTAuthenticator, error) {
	prefix := o.UsernamePrefix
	if prefix == "" && o.UsernameClaim != "email" {
		prefix = o.IssuerURL + "#"
	}
	if prefix == "-" {
		prefix = ""
	}
	jwt := apiserver.JWTAuthenticator{
		Issuer: apiserver.Issuer{URL: o.IssuerURL, Audiences: []string{o.ClientID}},
		ClaimMappings: apiserver.ClaimMappings{
			Username: apiserver.PrefixedClaimOrExpression{Claim: o.UsernameClaim, Prefix: ptr.To(prefix)},
		},
	}
	if o.GroupsClaim != "" {
		jwt.ClaimMappings.Groups = apiserver.PrefixedClaimOrExpression{Claim: o.GroupsClaim, Prefix: ptr.To(o.GroupsPrefix)}
	}
	if o.CAFile != "" {
		ca, err := os.ReadFile(o.CAFile)
		if err != nil {
			return jwt, fmt.Errorf("--oidc-ca-file: %w", err)
		}
		jwt.Issuer.CertificateAuthority = string(ca)
	}
	claims := make([]string, 0, len(o.RequiredClaims))
	for claim := range o.RequiredClaims {
		claims = append(claims, claim)
	}
	sort.Strings(claims)
	for _, claim := range claims {
		jwt.ClaimValidationRules = append(jwt.ClaimValidationRules, apiserver.ClaimValidationRule{Claim: claim, RequiredValue: o.RequiredClaims[claim]})
	}
	return jwt, nil
}

// New returns the token authenticator, which fetches the issuer's
// discovery document and keys in the background until ctx ends; until it
// has them, ID tokens do not authenticate. The server's own service
// account issuers are disallowed, as upstream, so that no one confuses
// the two kinds of token.
func New(ctx context.Context, o Options, serviceAccountIssuers []string) (authenticator.Token, error) {
	jwt, err := o.JWTAuthenticator()
	if err != nil {
		return nil, err
	}
	opts := oidcauth.Options{JWTAuthenticator: jwt, SupportedSigningAlgs: o.SigningAlgs, DisallowedIssuers: serviceAccountIssuers}
	if ca := jwt.Issuer.CertificateAuthority; ca != "" {
		if opts.CAContentProvider, err = dynamiccertificates.NewStaticCAContent("oidc-authenticator", []byte(ca)); err != nil {
			return nil, fmt.Errorf("--oidc-ca-file: %w", err)
		}
	}
	a, err := oidcauth.New(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("--oidc-*: %w", err)
	}
	return a, nil
}
