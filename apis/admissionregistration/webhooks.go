package admissionregistration

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	webhookutil "k8s.io/apiserver/pkg/util/webhook"
)

// The values upstream accepts, listed in its messages in this order.
var (
	failurePolicies     = sets.New(string(admissionregistrationv1.Ignore), string(admissionregistrationv1.Fail))
	matchPolicies       = sets.New(string(admissionregistrationv1.Exact), string(admissionregistrationv1.Equivalent))
	scopes              = sets.New(string(admissionregistrationv1.ClusterScope), string(admissionregistrationv1.NamespacedScope), string(admissionregistrationv1.AllScopes))
	reinvocation        = sets.New(string(admissionregistrationv1.NeverReinvocationPolicy), string(admissionregistrationv1.IfNeededReinvocationPolicy))
	allSideEffects      = sets.New("Unknown", "None", "Some", "NoneOnDryRun")
	noSideEffects       = sets.New("None", "NoneOnDryRun")
	operations          = sets.New("*", "CREATE", "UPDATE", "DELETE", "CONNECT")
	reviewVersions      = []string{"v1", "v1beta1"}
	webhooksPath        = field.NewPath("webhooks")
	metadataPath        = field.NewPath("metadata")
	specPath            = field.NewPath("spec")
	matchConditionLimit = 64
)

// webhookRules are what a webhook configuration's update may keep although
// a create would refuse it: upstream relaxes a rule that the stored object
// already broke, so that an old object stays writable.
type webhookRules struct {
	requireNoSideEffects     bool
	requireKnownReviewVer    bool
	requireUniqueNames       bool
	allowInvalidLabelValue   bool
	skipMatchConditions      bool
	storedMatchConditionExpr sets.Set[string]
}

var createRules = webhookRules{requireNoSideEffects: true, requireKnownReviewVer: true, requireUniqueNames: true}

// webhook is what the two webhook kinds share, read off either.
type webhook struct {
	name              string
	clientConfig      admissionregistrationv1.WebhookClientConfig
	rules             []admissionregistrationv1.RuleWithOperations
	failurePolicy     *admissionregistrationv1.FailurePolicyType
	matchPolicy       *admissionregistrationv1.MatchPolicyType
	namespaceSelector *metav1.LabelSelector
	objectSelector    *metav1.LabelSelector
	sideEffects       *admissionregistrationv1.SideEffectClass
	timeoutSeconds    *int32
	reviewVersions    []string
	matchConditions   []admissionregistrationv1.MatchCondition
	reinvocation      *admissionregistrationv1.ReinvocationPolicyType
}

func validatingHooks(c *admissionregistrationv1.ValidatingWebhookConfiguration) []webhook {
	out := make([]webhook, len(c.Webhooks))
	for i, w := range c.Webhooks {
		out[i] = webhook{w.Name, w.ClientConfig, w.Rules, w.FailurePolicy, w.MatchPolicy, w.NamespaceSelector, w.ObjectSelector,
			w.SideEffects, w.TimeoutSeconds, w.AdmissionReviewVersions, w.MatchConditions, nil}
	}
	return out
}

func mutatingHooks(c *admissionregistrationv1.MutatingWebhookConfiguration) []webhook {
	out := make([]webhook, len(c.Webhooks))
	for i, w := range c.Webhooks {
		out[i] = webhook{w.Name, w.ClientConfig, w.Rules, w.FailurePolicy, w.MatchPolicy, w.NamespaceSelector, w.ObjectSelector,
			w.SideEffects, w.TimeoutSeconds, w.AdmissionReviewVersions, w.MatchConditions, w.ReinvocationPolicy}
	}
	return out
}

// ValidateValidatingWebhookConfiguration checks a new configuration.
func ValidateValidatingWebhookConfiguration(c *admissionregistrationv1.ValidatingWebhookConfiguration) field.ErrorList {
	return validateWebhookConfiguration(&c.ObjectMeta, validatingHooks(c), createRules)
}

// ValidateValidatingWebhookConfigurationUpdate checks an update.
func ValidateValidatingWebhookConfigurationUpdate(c, old *admissionregistrationv1.ValidatingWebhookConfiguration) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, validateWebhookConfiguration(&c.ObjectMeta, validatingHooks(c), updateRules(validatingHooks(c), validatingHooks(old)))...)
}

// ValidateMutatingWebhookConfiguration checks a new configuration.
func ValidateMutatingWebhookConfiguration(c *admissionregistrationv1.MutatingWebhookConfiguration) field.ErrorList {
	return validateWebhookConfiguration(&c.ObjectMeta, mutatingHooks(c), createRules)
}

// ValidateMutatingWebhookConfigurationUpdate checks an update.
func ValidateMutatingWebhookConfigurationUpdate(c, old *admissionregistrationv1.MutatingWebhookConfiguration) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, validateWebhookConfiguration(&c.ObjectMeta, mutatingHooks(c), updateRules(mutatingHooks(c), mutatingHooks(old)))...)
}

// updateRules relaxes each create rule the stored webhooks already break.
func updateRules(hooks, old []webhook) webhookRules {
	r := webhookRules{requireNoSideEffects: true, requireKnownReviewVer: true, requireUniqueNames: true, storedMatchConditionExpr: sets.New[string]()}
	names := sets.New[string]()
	sameConditions := len(hooks) == len(old)
	for i, w := range old {
		if w.sideEffects == nil || !noSideEffects.Has(string(*w.sideEffects)) {
			r.requireNoSideEffects = false
		}
		if len(w.reviewVersions) > 0 && !knowsReviewVersion(w.reviewVersions) {
			r.requireKnownReviewVer = false
		}
		if names.Has(w.name) {
			r.requireUniqueNames = false
		}
		names.Insert(w.name)
		for _, s := range []*metav1.LabelSelector{w.namespaceSelector, w.objectSelector} {
			if s != nil && len(metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, nil)) > 0 {
				r.allowInvalidLabelValue = true
			}
		}
		for _, c := range w.matchConditions {
			r.storedMatchConditionExpr.Insert(c.Expression)
		}
		if sameConditions && !equality.Semantic.DeepEqual(hooks[i].matchConditions, w.matchConditions) {
			sameConditions = false
		}
	}
	// Unchanged match conditions were checked when they were stored.
	r.skipMatchConditions = sameConditions
	return r
}

func knowsReviewVersion(versions []string) bool {
	for _, v := range versions {
		if v == "v1" || v == "v1beta1" {
			return true
		}
	}
	return false
}

func validateWebhookConfiguration(meta *metav1.ObjectMeta, hooks []webhook, r webhookRules) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(meta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	names := sets.New[string]()
	for i, w := range hooks {
		path := webhooksPath.Index(i)
		allErrs = append(allErrs, validateWebhook(w, r, path)...)
		allErrs = append(allErrs, validateReviewVersions(w.reviewVersions, r.requireKnownReviewVer, path.Child("admissionReviewVersions"))...)
		if r.requireUniqueNames && w.name != "" {
			if names.Has(w.name) {
				allErrs = append(allErrs, field.Duplicate(path.Child("name"), w.name))
			}
			names.Insert(w.name)
		}
	}
	return allErrs
}

func validateWebhook(w webhook, r webhookRules, path *field.Path) field.ErrorList {
	// A webhook's name is a fully qualified domain: it names who runs it.
	allErrs := utilvalidation.IsFullyQualifiedName(path.Child("name"), w.name)
	for i := range w.rules {
		allErrs = append(allErrs, validateRuleWithOperations(&w.rules[i], path.Child("rules").Index(i))...)
	}
	allErrs = append(allErrs, oneOf(w.failurePolicy, failurePolicies, path.Child("failurePolicy"))...)
	allErrs = append(allErrs, oneOf(w.matchPolicy, matchPolicies, path.Child("matchPolicy"))...)
	allowed := allSideEffects
	if r.requireNoSideEffects {
		allowed = noSideEffects
	}
	if w.sideEffects == nil {
		allErrs = append(allErrs, field.Required(path.Child("sideEffects"), "must specify one of "+strings.Join(sets.List(allowed), ", ")))
	} else {
		allErrs = append(allErrs, oneOf(w.sideEffects, allowed, path.Child("sideEffects"))...)
	}
	if t := w.timeoutSeconds; t != nil && (*t < 1 || *t > 30) {
		allErrs = append(allErrs, field.Invalid(path.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"))
	}
	selectorRules := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: r.allowInvalidLabelValue}
	if w.namespaceSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(w.namespaceSelector, selectorRules, path.Child("namespaceSelector"))...)
	}
	if w.objectSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(w.objectSelector, selectorRules, path.Child("objectSelector"))...)
	}
	allErrs = append(allErrs, oneOf(w.reinvocation, reinvocation, path.Child("reinvocationPolicy"))...)

	client, clientPath := w.clientConfig, path.Child("clientConfig")
	switch {
	case (client.URL == nil) == (client.Service == nil):
		allErrs = append(allErrs, field.Required(clientPath, "exactly one of url or service is required"))
	case client.URL != nil:
		allErrs = append(allErrs, webhookutil.ValidateWebhookURL(clientPath.Child("url"), *client.URL, true)...)
	default:
		s := client.Service
		port := int32(443)
		if s.Port != nil {
			port = *s.Port
		}
		allErrs = append(allErrs, webhookutil.ValidateWebhookService(clientPath.Child("service"), s.Namespace, s.Name, s.Path, port)...)
	}
	if len(client.CABundle) > 0 {
		allErrs = append(allErrs, webhookutil.ValidateCABundle(clientPath.Child("caBundle"), client.CABundle)...)
	}
	if !r.skipMatchConditions {
		allErrs = append(allErrs, validateMatchConditions(w.matchConditions, false, r.storedMatchConditionExpr, path.Child("matchConditions"))...)
	}
	return allErrs
}

// oneOf refuses a set value outside allowed, with the supported values.
func oneOf[T ~string](value *T, allowed sets.Set[string], path *field.Path) field.ErrorList {
	if value == nil || allowed.Has(string(*value)) {
		return nil
	}
	return field.ErrorList{field.NotSupported(path, *value, sets.List(allowed))}
}

func validateReviewVersions(versions []string, requireKnown bool, path *field.Path) field.ErrorList {
	if len(versions) == 0 {
		return field.ErrorList{field.Required(path, "must specify one of "+strings.Join(reviewVersions, ", "))}
	}
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, v := range versions {
		if seen.Has(v) {
			allErrs = append(allErrs, field.Invalid(path.Index(i), v, "duplicate version"))
			continue
		}
		seen.Insert(v)
		for _, msg := range utilvalidation.IsDNS1035Label(v) {
			allErrs = append(allErrs, field.Invalid(path.Index(i), v, msg))
		}
	}
	if requireKnown && !knowsReviewVersion(versions) {
		allErrs = append(allErrs, field.Invalid(path, versions, "must include at least one of "+strings.Join(reviewVersions, ", ")))
	}
	return allErrs
}

func validateRuleWithOperations(rule *admissionregistrationv1.RuleWithOperations, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(rule.Operations) == 0 {
		allErrs = append(allErrs, field.Required(path.Child("operations"), ""))
	}
	if len(rule.Operations) > 1 && contains(rule.Operations, "*") {
		allErrs = append(allErrs, field.Invalid(path.Child("operations"), rule.Operations, "if '*' is present, must not specify other operations"))
	}
	for i, op := range rule.Operations {
		if !operations.Has(string(op)) {
			allErrs = append(allErrs, field.NotSupported(path.Child("operations").Index(i), op, sets.List(operations)))
		}
	}
	return append(allErrs, validateRule(&rule.Rule, path)...)
}

func validateRule(rule *admissionregistrationv1.Rule, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(rule.APIGroups) == 0 {
		allErrs = append(allErrs, field.Required(path.Child("apiGroups"), ""))
	}
	if len(rule.APIGroups) > 1 && contains(rule.APIGroups, "*") {
		allErrs = append(allErrs, field.Invalid(path.Child("apiGroups"), rule.APIGroups, "if '*' is present, must not specify other API groups"))
	}
	// The legacy group is "", so only versions must be non-empty.
	if len(rule.APIVersions) == 0 {
		allErrs = append(allErrs, field.Required(path.Child("apiVersions"), ""))
	}
	if len(rule.APIVersions) > 1 && contains(rule.APIVersions, "*") {
		allErrs = append(allErrs, field.Invalid(path.Child("apiVersions"), rule.APIVersions, "if '*' is present, must not specify other API versions"))
	}
	for i, v := range rule.APIVersions {
		if v == "" {
			allErrs = append(allErrs, field.Required(path.Child("apiVersions").Index(i), ""))
		}
	}
	allErrs = append(allErrs, validateResources(rule.Resources, path.Child("resources"))...)
	return append(allErrs, oneOf(rule.Scope, scopes, path.Child("scope"))...)
}

// validateResources checks resource/subresource patterns: "*/*" alone,
// "*" not beside plain resources, "x/*" not beside "x/y", "*/y" not
// beside "x/y".
func validateResources(resources []string, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(resources) == 0 {
		allErrs = append(allErrs, field.Required(path, ""))
	}
	anySub, anyResource := sets.New[string](), sets.New[string]()
	var doubleWildcard, wildcard, plain bool
	for i, r := range resources {
		if r == "" {
			allErrs = append(allErrs, field.Required(path.Index(i), ""))
			continue
		}
		doubleWildcard = doubleWildcard || r == "*/*"
		wildcard = wildcard || r == "*"
		resource, sub, hasSub := strings.Cut(r, "/")
		if !hasSub {
			plain = plain || r != "*"
			continue
		}
		if anySub.Has(resource) {
			allErrs = append(allErrs, field.Invalid(path.Index(i), r, fmt.Sprintf("if '%s/*' is present, must not specify %s", resource, r)))
		}
		if anyResource.Has(sub) {
			allErrs = append(allErrs, field.Invalid(path.Index(i), r, fmt.Sprintf("if '*/%s' is present, must not specify %s", sub, r)))
		}
		if sub == "*" {
			anySub.Insert(resource)
		}
		if resource == "*" {
			anyResource.Insert(sub)
		}
	}
	if len(resources) > 1 && doubleWildcard {
		allErrs = append(allErrs, field.Invalid(path, resources, "if '*/*' is present, must not specify other resources"))
	}
	if wildcard && plain {
		allErrs = append(allErrs, field.Invalid(path, resources, "if '*' is present, must not specify other resources without subresources"))
	}
	return allErrs
}

func contains[T ~string](values []T, want T) bool {
	for _, v := range values {
		if v == want {
			return true
		}
	}
	return false
}

// validateMatchResources checks a policy's or binding's matchConstraints.
func validateMatchResources(m *admissionregistrationv1.MatchResources, path *field.Path) field.ErrorList {
	if m == nil {
		return nil
	}
	var allErrs field.ErrorList
	if m.MatchPolicy == nil {
		allErrs = append(allErrs, field.Required(path.Child("matchPolicy"), ""))
	} else {
		allErrs = append(allErrs, oneOf(m.MatchPolicy, matchPolicies, path.Child("matchPolicy"))...)
	}
	// These kinds came after label values were checked strictly.
	for _, s := range []struct {
		name     string
		selector *metav1.LabelSelector
	}{{"namespaceSelector", m.NamespaceSelector}, {"objectSelector", m.ObjectSelector}} {
		if s.selector == nil {
			allErrs = append(allErrs, field.Required(path.Child(s.name), ""))
		} else {
			allErrs = append(allErrs, metav1validation.ValidateLabelSelector(s.selector, metav1validation.LabelSelectorValidationOptions{}, path.Child(s.name))...)
		}
	}
	for i := range m.ResourceRules {
		allErrs = append(allErrs, validateNamedRule(&m.ResourceRules[i], path.Child("resourceRules").Index(i))...)
	}
	for i := range m.ExcludeResourceRules {
		allErrs = append(allErrs, validateNamedRule(&m.ExcludeResourceRules[i], path.Child("excludeResourceRules").Index(i))...)
	}
	return allErrs
}

func validateNamedRule(rule *admissionregistrationv1.NamedRuleWithOperations, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, name := range rule.ResourceNames {
		for _, msg := range content.IsPathSegmentName(name) {
			allErrs = append(allErrs, field.Invalid(path.Child("resourceNames").Index(i), name, msg))
		}
		if names.Has(name) {
			allErrs = append(allErrs, field.Duplicate(path.Child("resourceNames").Index(i), name))
		}
		names.Insert(name)
	}
	return append(allErrs, validateRuleWithOperations(&rule.RuleWithOperations, path)...)
}
