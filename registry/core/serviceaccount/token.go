package serviceaccount

import (
	"context"
	"fmt"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"

	"github.com/kybernetes/kybernetes/registry/serviceaccount/token"
)

// TokenREST is serviceaccounts/token: a TokenRequest in, a signed token
// out (`kubectl create token`). Nothing is stored.
type TokenREST struct {
	ServiceAccounts *genericregistry.Store
	Pods            *genericregistry.Store
	Issuer          *token.Issuer
	// APIAudiences are a request's audiences when it names none.
	APIAudiences []string
	// MaxExpiration, when set, caps what a request may ask for.
	MaxExpiration time.Duration
	// ExtendExpiration: a pod-bound token for the API's audiences asked
	// for 3607 s (what the ServiceAccount admission plugin's projected
	// volume asks for) is valid for ExtendedExpiration instead, and says
	// when it should have expired in its warnafter claim.
	ExtendExpiration bool
}

// extendedExpiration is how long an extended token is valid, a year as
// upstream (or the maximum expiration, when that is longer).
const extendedExpiration = 365 * 24 * time.Hour

// projectedTokenSeconds is the expiration the admission-injected volume
// asks for: upstream picked an odd number so that the server can tell
// these requests apart.
const projectedTokenSeconds = 3607

var _ rest.NamedCreater = &TokenREST{}

func (*TokenREST) New() runtime.Object { return &authenticationv1.TokenRequest{} }
func (*TokenREST) Destroy()            {}

// GroupVersionKind says the subresource speaks authentication.k8s.io/v1.
func (*TokenREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")
}

const minExpiration = 10 * time.Minute

// Create issues a token for the named service account, bound to a pod
// when the request says so.
func (r *TokenREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*authenticationv1.TokenRequest)
	if !ok {
		return nil, apierrors.NewBadRequest("not a TokenRequest")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	out := req.DeepCopy()
	if out.Spec.ExpirationSeconds == nil {
		seconds := int64(3600)
		out.Spec.ExpirationSeconds = &seconds
	}
	var errs field.ErrorList
	expiration := time.Duration(*out.Spec.ExpirationSeconds) * time.Second
	switch {
	case expiration < minExpiration:
		errs = append(errs, field.Invalid(field.NewPath("spec", "expirationSeconds"), *out.Spec.ExpirationSeconds, "may not specify a duration less than 10 minutes"))
	case *out.Spec.ExpirationSeconds > 1<<32:
		errs = append(errs, field.Invalid(field.NewPath("spec", "expirationSeconds"), *out.Spec.ExpirationSeconds, "may not specify a duration larger than 2^32 seconds"))
	}
	if r.MaxExpiration > 0 && expiration > r.MaxExpiration {
		seconds := int64(r.MaxExpiration / time.Second)
		warning.AddWarning(ctx, "", fmt.Sprintf("requested expiration of %d seconds shortened to %d seconds", *out.Spec.ExpirationSeconds, seconds))
		expiration = r.MaxExpiration
		out.Spec.ExpirationSeconds = &seconds
	}
	if ref := out.Spec.BoundObjectRef; ref != nil && ref.Kind != "Pod" {
		errs = append(errs, field.NotSupported(field.NewPath("spec", "boundObjectRef", "kind"), ref.Kind, []string{"Pod"}))
	}
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid(schema.GroupKind{Group: authenticationv1.GroupName, Kind: "TokenRequest"}, name, errs)
	}
	saObj, err := r.ServiceAccounts.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	sa := saObj.(*corev1.ServiceAccount)
	issue := token.Request{ServiceAccount: sa, Audiences: out.Spec.Audiences, Expiration: expiration}
	if len(issue.Audiences) == 0 {
		issue.Audiences = r.APIAudiences
		out.Spec.Audiences = r.APIAudiences
	}
	if ref := out.Spec.BoundObjectRef; ref != nil {
		podObj, err := r.Pods.Get(ctx, ref.Name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		pod := podObj.(*corev1.Pod)
		if ref.UID != "" && ref.UID != pod.UID {
			return nil, apierrors.NewConflict(corev1.Resource("pods"), ref.Name, fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
		}
		if pod.Spec.ServiceAccountName != "" && pod.Spec.ServiceAccountName != sa.Name {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", sa.Name))
		}
		issue.Pod = pod
		out.Spec.BoundObjectRef.UID = pod.UID
		if r.ExtendExpiration && *out.Spec.ExpirationSeconds == projectedTokenSeconds && r.forAPI(issue.Audiences) {
			issue.WarnAfter = expiration
			issue.Expiration = max(extendedExpiration, r.MaxExpiration)
		}
	}
	signed, _, err := r.Issuer.Issue(issue)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	// The status says what was asked for, even of an extended token: a
	// kubelet refreshes it on that schedule.
	exp := time.Now().Add(expiration)
	out.Name, out.Namespace = name, genericapirequest.NamespaceValue(ctx)
	out.CreationTimestamp = metav1.Now()
	out.Status = authenticationv1.TokenRequestStatus{Token: signed, ExpirationTimestamp: metav1.NewTime(exp)}
	return out, nil
}

// forAPI says whether audiences are all the API server's own.
func (r *TokenREST) forAPI(audiences []string) bool {
	for _, a := range audiences {
		if !slices.Contains(r.APIAudiences, a) {
			return false
		}
	}
	return true
}

// StoreLookup reads service accounts, pods and (for legacy tokens)
// secrets from storage for the token authenticator.
type StoreLookup struct {
	ServiceAccounts, Pods, Secrets *genericregistry.Store
}

func (l StoreLookup) ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	obj, err := l.ServiceAccounts.Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.ServiceAccount), nil
}

func (l StoreLookup) Pod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	obj, err := l.Pods.Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

func (l StoreLookup) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	obj, err := l.Secrets.Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Secret), nil
}

// MarkUsed labels the secret, if it is still the one the token was
// checked against (same UID), with the day its token was last used.
func (l StoreLookup) MarkUsed(ctx context.Context, secret *corev1.Secret, day string) error {
	label := func(_ context.Context, _, old runtime.Object) (runtime.Object, error) {
		stored := old.(*corev1.Secret).DeepCopy()
		if stored.UID != secret.UID {
			return nil, apierrors.NewConflict(corev1.Resource("secrets"), secret.Name, fmt.Errorf("the secret was replaced"))
		}
		if stored.Labels == nil {
			stored.Labels = map[string]string{}
		}
		stored.Labels[token.LastUsedLabel] = day
		return stored, nil
	}
	_, _, err := l.Secrets.Update(genericapirequest.WithNamespace(ctx, secret.Namespace), secret.Name,
		rest.DefaultUpdatedObjectInfo(nil, label), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	return err
}
