package registry

import (
	"github.com/kybernetes/kybernetes/registry/pki"

	"context"
	"slices"
	"strings"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/request/union"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// newAuthenticator accepts client certificates signed by the cluster CA
// (user from CN, groups from O) and, when a token file is given, static
// bearer tokens. There is no anonymous user: a request that proves no
// identity gets 401.
func newAuthenticator(clientCA *dynamiccertificates.DynamicFileCAContent, tokenAuthFile string) (authenticator.Request, error) {
	authenticators := []authenticator.Request{
		x509request.NewDynamic(clientCA.VerifyOptions, x509request.CommonNameUserConversion),
	}
	if tokenAuthFile != "" {
		tokens, err := tokenfile.NewCSV(tokenAuthFile)
		if err != nil {
			return nil, err
		}
		authenticators = append(authenticators, bearertoken.New(tokens))
	}
	return group.NewAuthenticatedGroupAdder(union.New(authenticators...)), nil
}

// publicPaths are the non-resource URLs every authenticated user may read, as
// upstream's system:discovery and system:public-info-viewer roles allow.
var publicPaths = []string{"/healthz", "/livez", "/readyz", "/version", "/version/", "/api", "/api/", "/apis", "/apis/", "/openapi/v2", "/openapi/v3", "/openapi/v3/"}

// authorize is the authorizer until RBAC exists: system:masters may do
// everything; other users may discover the API, read health and version, and
// ask who they are; everything else is forbidden.
func authorize(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	u := a.GetUser()
	if u == nil {
		return authorizer.DecisionNoOpinion, "no user", nil
	}
	if slices.Contains(u.GetGroups(), user.SystemPrivilegedGroup) {
		return authorizer.DecisionAllow, "", nil
	}
	// Kubelets (system:nodes) may do what a node agent does. Until the
	// Node authorizer and RBAC exist, that is not narrowed to their own
	// node's objects.
	if slices.Contains(u.GetGroups(), user.NodesGroup) {
		return authorizer.DecisionAllow, "", nil
	}
	if u.GetName() == pki.ProxyUser && a.IsResourceRequest() && nodeProxierAllows(a) {
		return authorizer.DecisionAllow, "", nil
	}
	if !a.IsResourceRequest() && a.GetVerb() == "get" &&
		(slices.Contains(publicPaths, a.GetPath()) ||
			strings.HasPrefix(a.GetPath(), "/openapi/v3/") || strings.HasPrefix(a.GetPath(), "/apis/")) {
		return authorizer.DecisionAllow, "", nil
	}
	if a.IsResourceRequest() && a.GetAPIGroup() == "authentication.k8s.io" &&
		a.GetResource() == "selfsubjectreviews" && a.GetVerb() == "create" {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "kybernetes allows only system:masters until RBAC is served", nil
}

// nodeProxierAllows is upstream's system:node-proxier role, which the
// default RBAC policy binds to system:kube-proxy: read what a node proxy
// programs, and write events.
func nodeProxierAllows(a authorizer.Attributes) bool {
	read := a.GetVerb() == "get" || a.GetVerb() == "list" || a.GetVerb() == "watch"
	switch group, resource := a.GetAPIGroup(), a.GetResource(); {
	case group == "" && (resource == "services" || resource == "endpoints"):
		return read && a.GetSubresource() == ""
	case group == "" && resource == "nodes":
		return read && a.GetSubresource() == ""
	case group == "discovery.k8s.io" && resource == "endpointslices":
		return read
	case group == "networking.k8s.io" && resource == "servicecidrs":
		return read
	case (group == "" || group == "events.k8s.io") && resource == "events":
		return a.GetVerb() == "create" || a.GetVerb() == "patch" || a.GetVerb() == "update"
	}
	return false
}
