// Package tokenreview serves authentication.k8s.io/v1 tokenreviews: a
// create that asks the server's token authenticators who a bearer token
// belongs to, as extension API servers and kubelets do with delegated
// authentication. Nothing is stored.
package tokenreview

import (
	"context"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/registry/rest"
)

// REST is the tokenreviews resource.
type REST struct {
	Tokens authenticator.Token
	// APIAudiences are the audiences a review that names none checks.
	APIAudiences authenticator.Audiences
}

func (*REST) New() runtime.Object     { return &authenticationv1.TokenReview{} }
func (*REST) Destroy()                {}
func (*REST) NamespaceScoped() bool   { return false }
func (*REST) GetSingularName() string { return "tokenreview" }

// Create authenticates the token and answers in the status; a token that
// does not authenticate is not an error of the request, only of the
// review.
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authenticationv1.TokenReview)
	if !ok {
		return nil, apierrors.NewBadRequest("not a TokenReview")
	}
	if review.Spec.Token == "" {
		return nil, apierrors.NewBadRequest("token is required for TokenReview in authentication")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	audiences := authenticator.Audiences(review.Spec.Audiences)
	if len(audiences) == 0 {
		audiences = r.APIAudiences
	}
	out := review.DeepCopy()
	out.Status = authenticationv1.TokenReviewStatus{}
	if r.Tokens == nil {
		return out, nil
	}
	resp, authenticated, err := r.Tokens.AuthenticateToken(authenticator.WithAudiences(ctx, audiences), review.Spec.Token)
	if err != nil {
		out.Status.Error = err.Error()
	}
	if !authenticated || resp == nil {
		return out, nil
	}
	u := resp.User
	out.Status.Authenticated = true
	out.Status.User = authenticationv1.UserInfo{Username: u.GetName(), UID: u.GetUID(), Groups: u.GetGroups()}
	if extra := u.GetExtra(); len(extra) > 0 {
		out.Status.User.Extra = map[string]authenticationv1.ExtraValue{}
		for k, v := range extra {
			out.Status.User.Extra[k] = v
		}
	}
	if len(review.Spec.Audiences) > 0 {
		out.Status.Audiences = resp.Audiences
	}
	return out, nil
}
