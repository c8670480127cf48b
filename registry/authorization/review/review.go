// Package review serves authorization.k8s.io/v1's access reviews: a
// create that asks the server's authorizer a question and answers in the
// status (`kubectl auth can-i`). Nothing is stored.
package review

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// creater is what the four reviews share: no storage, one create.
type creater struct{}

func (creater) Destroy() {}

// validate runs the admission chain's validation on the review.
func validate(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc) error {
	if createValidation == nil {
		return nil
	}
	return createValidation(ctx, obj.DeepCopyObject())
}

// decide asks the authorizer and fills an access review status.
func decide(ctx context.Context, authz authorizer.Authorizer, attrs authorizer.AttributesRecord) authorizationv1.SubjectAccessReviewStatus {
	decision, reason, err := authz.Authorize(ctx, attrs)
	status := authorizationv1.SubjectAccessReviewStatus{
		Allowed: decision == authorizer.DecisionAllow,
		Denied:  decision == authorizer.DecisionDeny,
		Reason:  reason,
	}
	if err != nil {
		status.EvaluationError = err.Error()
	}
	return status
}

// attributes turns a review's spec into the authorizer's question.
func attributes(u user.Info, resource *authorizationv1.ResourceAttributes, nonResource *authorizationv1.NonResourceAttributes) authorizer.AttributesRecord {
	if resource != nil {
		return authorizer.AttributesRecord{
			User: u, Verb: resource.Verb, Namespace: resource.Namespace, APIGroup: resource.Group, APIVersion: resource.Version,
			Resource: resource.Resource, Subresource: resource.Subresource, Name: resource.Name, ResourceRequest: true,
		}
	}
	return authorizer.AttributesRecord{User: u, Verb: nonResource.Verb, Path: nonResource.Path}
}

// validateAttributes: exactly one of the two kinds of attributes.
func validateAttributes(resource *authorizationv1.ResourceAttributes, nonResource *authorizationv1.NonResourceAttributes, specPath *field.Path) field.ErrorList {
	if (resource == nil) == (nonResource == nil) {
		return field.ErrorList{field.Invalid(specPath, nonResource, `exactly one of nonResourceAttributes or resourceAttributes must be specified`)}
	}
	return nil
}

func invalid(kind, name string, errs field.ErrorList) error {
	return apierrors.NewInvalid(schema.GroupKind{Group: authorizationv1.GroupName, Kind: kind}, name, errs)
}

func userInfo(spec authorizationv1.SubjectAccessReviewSpec) user.Info {
	extra := map[string][]string{}
	for k, v := range spec.Extra {
		extra[k] = v
	}
	return &user.DefaultInfo{Name: spec.User, UID: spec.UID, Groups: spec.Groups, Extra: extra}
}

// SubjectAccessReviews answers for any user the request names.
type SubjectAccessReviews struct {
	creater
	Authorizer authorizer.Authorizer
}

func (*SubjectAccessReviews) New() runtime.Object     { return &authorizationv1.SubjectAccessReview{} }
func (*SubjectAccessReviews) NamespaceScoped() bool   { return false }
func (*SubjectAccessReviews) GetSingularName() string { return "subjectaccessreview" }

func (r *SubjectAccessReviews) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest("not a SubjectAccessReview")
	}
	spec := field.NewPath("spec")
	errs := validateAttributes(review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes, spec)
	if review.Spec.User == "" && len(review.Spec.Groups) == 0 {
		errs = append(errs, field.Invalid(spec.Child("user"), review.Spec.User, `at least one of user or group must be specified`))
	}
	if len(errs) > 0 {
		return nil, invalid("SubjectAccessReview", review.Name, errs)
	}
	if err := validate(ctx, obj, createValidation); err != nil {
		return nil, err
	}
	out := review.DeepCopy()
	out.Status = decide(ctx, r.Authorizer, attributes(userInfo(review.Spec), review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes))
	return out, nil
}

// LocalSubjectAccessReviews answers for any user, within one namespace.
type LocalSubjectAccessReviews struct {
	creater
	Authorizer authorizer.Authorizer
}

func (*LocalSubjectAccessReviews) New() runtime.Object {
	return &authorizationv1.LocalSubjectAccessReview{}
}
func (*LocalSubjectAccessReviews) NamespaceScoped() bool   { return true }
func (*LocalSubjectAccessReviews) GetSingularName() string { return "localsubjectaccessreview" }

func (r *LocalSubjectAccessReviews) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.LocalSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest("not a LocalSubjectAccessReview")
	}
	namespace := genericapirequest.NamespaceValue(ctx)
	spec := field.NewPath("spec")
	errs := validateAttributes(review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes, spec)
	if review.Spec.User == "" && len(review.Spec.Groups) == 0 {
		errs = append(errs, field.Invalid(spec.Child("user"), review.Spec.User, `at least one of user or group must be specified`))
	}
	if review.Spec.NonResourceAttributes != nil {
		errs = append(errs, field.Invalid(field.NewPath("spec.nonResourceAttributes"), review.Spec.NonResourceAttributes, `disallowed on this kind of request`))
	}
	if a := review.Spec.ResourceAttributes; a != nil && a.Namespace != namespace {
		errs = append(errs, field.Invalid(field.NewPath("spec.resourceAttributes.namespace"), a.Namespace, `must match metadata.namespace`))
	}
	if review.Namespace != "" && review.Namespace != namespace {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "namespace"), review.Namespace, `must match the namespace of the request`))
	}
	if len(errs) > 0 {
		return nil, invalid("LocalSubjectAccessReview", review.Name, errs)
	}
	if err := validate(ctx, obj, createValidation); err != nil {
		return nil, err
	}
	out := review.DeepCopy()
	out.Namespace = namespace
	out.Status = decide(ctx, r.Authorizer, attributes(userInfo(review.Spec), review.Spec.ResourceAttributes, nil))
	return out, nil
}

// SelfSubjectAccessReviews answers for the caller.
type SelfSubjectAccessReviews struct {
	creater
	Authorizer authorizer.Authorizer
}

func (*SelfSubjectAccessReviews) New() runtime.Object {
	return &authorizationv1.SelfSubjectAccessReview{}
}
func (*SelfSubjectAccessReviews) NamespaceScoped() bool   { return false }
func (*SelfSubjectAccessReviews) GetSingularName() string { return "selfsubjectaccessreview" }

func (r *SelfSubjectAccessReviews) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest("not a SelfSubjectAccessReview")
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if errs := validateAttributes(review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes, field.NewPath("spec")); len(errs) > 0 {
		return nil, invalid("SelfSubjectAccessReview", review.Name, errs)
	}
	if err := validate(ctx, obj, createValidation); err != nil {
		return nil, err
	}
	out := review.DeepCopy()
	out.Status = decide(ctx, r.Authorizer, attributes(u, review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes))
	return out, nil
}

// SelfSubjectRulesReviews lists what the caller may do in a namespace.
type SelfSubjectRulesReviews struct {
	creater
	Rules authorizer.RuleResolver
}

func (*SelfSubjectRulesReviews) New() runtime.Object {
	return &authorizationv1.SelfSubjectRulesReview{}
}
func (*SelfSubjectRulesReviews) NamespaceScoped() bool   { return false }
func (*SelfSubjectRulesReviews) GetSingularName() string { return "selfsubjectrulesreview" }

func (r *SelfSubjectRulesReviews) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectRulesReview)
	if !ok {
		return nil, apierrors.NewBadRequest("not a SelfSubjectRulesReview")
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if err := validate(ctx, obj, createValidation); err != nil {
		return nil, err
	}
	resourceRules, nonResourceRules, incomplete, err := r.Rules.RulesFor(ctx, u, review.Spec.Namespace)
	out := review.DeepCopy()
	out.Status = authorizationv1.SubjectRulesReviewStatus{
		ResourceRules:    []authorizationv1.ResourceRule{},
		NonResourceRules: []authorizationv1.NonResourceRule{},
		Incomplete:       incomplete,
	}
	for _, rule := range resourceRules {
		out.Status.ResourceRules = append(out.Status.ResourceRules, authorizationv1.ResourceRule{
			Verbs: rule.GetVerbs(), APIGroups: rule.GetAPIGroups(), Resources: rule.GetResources(), ResourceNames: rule.GetResourceNames(),
		})
	}
	for _, rule := range nonResourceRules {
		out.Status.NonResourceRules = append(out.Status.NonResourceRules, authorizationv1.NonResourceRule{
			Verbs: rule.GetVerbs(), NonResourceURLs: rule.GetNonResourceURLs(),
		})
	}
	if err != nil {
		out.Status.EvaluationError = err.Error()
	}
	return out, nil
}
