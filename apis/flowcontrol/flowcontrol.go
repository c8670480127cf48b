// Package flowcontrol holds the scheme registration, defaults and
// validation of flowcontrol.apiserver.k8s.io/v1 (API Priority and
// Fairness: FlowSchemas and PriorityLevelConfigurations), on the k8s.io/api
// types.
package flowcontrol

import (
	"fmt"
	"slices"
	"strings"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap"
	"k8s.io/apiserver/pkg/util/shufflesharding"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Upstream's defaults.
const (
	defaultMatchingPrecedence       int32 = 1000
	defaultHandSize                 int32 = 8
	defaultQueues                   int32 = 64
	defaultQueueLengthLimit         int32 = 50
	defaultNominalConcurrencyShares int32 = 30
	// maxMatchingPrecedence is the largest precedence a schema may have.
	maxMatchingPrecedence int32 = 10000
	maxQueues             int32 = 10 * 1000 * 1000
)

// Install registers flowcontrol.apiserver.k8s.io/v1 as external and hub
// version, with upstream's defaults.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, flowcontrolv1.SchemeGroupVersion, flowcontrolv1.AddToScheme, &flowcontrolv1.FlowSchema{}); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&flowcontrolv1.FlowSchema{}, func(obj interface{}) { SetDefaultsFlowSchema(obj.(*flowcontrolv1.FlowSchema)) })
	scheme.AddTypeDefaultingFunc(&flowcontrolv1.PriorityLevelConfiguration{}, func(obj interface{}) {
		SetDefaultsPriorityLevelConfiguration(obj.(*flowcontrolv1.PriorityLevelConfiguration))
	})
	return nil
}

// SetDefaultsFlowSchema gives a schema precedence 1000 when it has none.
func SetDefaultsFlowSchema(fs *flowcontrolv1.FlowSchema) {
	if fs.Spec.MatchingPrecedence == 0 {
		fs.Spec.MatchingPrecedence = defaultMatchingPrecedence
	}
}

// SetDefaultsPriorityLevelConfiguration gives a level upstream's
// defaults: 30 shares and nothing lent for a limited level, 0 and 0 for
// the exempt one, 64 queues of 50 with hands of 8 for queuing.
func SetDefaultsPriorityLevelConfiguration(pl *flowcontrolv1.PriorityLevelConfiguration) {
	if e := pl.Spec.Exempt; e != nil {
		if e.NominalConcurrencyShares == nil {
			e.NominalConcurrencyShares = ptr.To[int32](0)
		}
		if e.LendablePercent == nil {
			e.LendablePercent = ptr.To[int32](0)
		}
	}
	if l := pl.Spec.Limited; l != nil {
		if l.NominalConcurrencyShares == nil {
			l.NominalConcurrencyShares = ptr.To(defaultNominalConcurrencyShares)
		}
		if l.LendablePercent == nil {
			l.LendablePercent = ptr.To[int32](0)
		}
		if q := l.LimitResponse.Queuing; q != nil {
			if q.HandSize == 0 {
				q.HandSize = defaultHandSize
			}
			if q.Queues == 0 {
				q.Queues = defaultQueues
			}
			if q.QueueLengthLimit == 0 {
				q.QueueLengthLimit = defaultQueueLengthLimit
			}
		}
	}
}

var (
	distinguisherMethods = []string{string(flowcontrolv1.FlowDistinguisherMethodByNamespaceType), string(flowcontrolv1.FlowDistinguisherMethodByUserType)}
	verbs                = []string{"create", "delete", "deletecollection", "get", "list", "patch", "proxy", "update", "watch"}
	subjectKinds         = []string{string(flowcontrolv1.SubjectKindGroup), string(flowcontrolv1.SubjectKindServiceAccount), string(flowcontrolv1.SubjectKindUser)}
	levelTypes           = []string{string(flowcontrolv1.PriorityLevelEnablementExempt), string(flowcontrolv1.PriorityLevelEnablementLimited)}
	limitResponseTypes   = []string{string(flowcontrolv1.LimitResponseTypeQueue), string(flowcontrolv1.LimitResponseTypeReject)}
)

// mandatory looks a mandatory bootstrap object up by name.
func mandatory[T interface{ GetName() string }](objects []T, name string) (T, bool) {
	for _, o := range objects {
		if o.GetName() == name {
			return o, true
		}
	}
	var zero T
	return zero, false
}

// ValidateFlowSchema checks a schema: a positive precedence up to 10000
// (1 only for exempt), a known distinguisher, a named priority level,
// rules with subjects and resource or non-resource rules; the mandatory
// schemas (exempt, catch-all) keep their fixed spec.
func ValidateFlowSchema(fs *flowcontrolv1.FlowSchema) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&fs.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	switch p := fs.Spec.MatchingPrecedence; {
	case p <= 0:
		allErrs = append(allErrs, field.Invalid(spec.Child("matchingPrecedence"), p, "must be a positive value"))
	case p > maxMatchingPrecedence:
		allErrs = append(allErrs, field.Invalid(spec.Child("matchingPrecedence"), p, fmt.Sprintf("must not be greater than %v", maxMatchingPrecedence)))
	case p == 1 && fs.Name != flowcontrolv1.FlowSchemaNameExempt:
		allErrs = append(allErrs, field.Invalid(spec.Child("matchingPrecedence"), p, "only the schema named 'exempt' may have matchingPrecedence 1"))
	}
	if d := fs.Spec.DistinguisherMethod; d != nil && !slices.Contains(distinguisherMethods, string(d.Type)) {
		allErrs = append(allErrs, field.NotSupported(spec.Child("distinguisherMethod", "type"), d, distinguisherMethods))
	}
	level := fs.Spec.PriorityLevelConfiguration.Name
	if level == "" {
		allErrs = append(allErrs, field.Required(spec.Child("priorityLevelConfiguration", "name"), "must reference a priority level"))
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(level, false) {
		if level != "" {
			allErrs = append(allErrs, field.Invalid(spec.Child("priorityLevelConfiguration", "name"), level, msg))
		}
	}
	for i := range fs.Spec.Rules {
		allErrs = append(allErrs, validateRules(&fs.Spec.Rules[i], spec.Child("rules").Index(i))...)
	}
	if m, ok := mandatory(bootstrap.MandatoryFlowSchemas, fs.Name); ok && !apiequality.Semantic.DeepEqual(fs.Spec, m.Spec) {
		allErrs = append(allErrs, field.Invalid(spec, fs.Spec, fmt.Sprintf("spec of '%s' must equal the fixed value", fs.Name)))
	}
	return append(allErrs, validateConditionTypes(field.NewPath("status", "conditions"), flowSchemaConditionTypes(fs))...)
}

// ValidateFlowSchemaUpdate checks an updated schema as a new one.
func ValidateFlowSchemaUpdate(fs, old *flowcontrolv1.FlowSchema) field.ErrorList {
	return append(ValidateFlowSchema(fs), apimachineryvalidation.ValidateObjectMetaUpdate(&fs.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
}

// ValidateFlowSchemaStatusUpdate checks the conditions: a type on each,
// none twice.
func ValidateFlowSchemaStatusUpdate(fs, old *flowcontrolv1.FlowSchema) field.ErrorList {
	return validateConditionTypes(field.NewPath("status", "conditions"), flowSchemaConditionTypes(fs))
}

func flowSchemaConditionTypes(fs *flowcontrolv1.FlowSchema) []string {
	var types []string
	for _, c := range fs.Status.Conditions {
		types = append(types, string(c.Type))
	}
	return types
}

func validateConditionTypes(path *field.Path, types []string) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[string]bool{}
	for i, t := range types {
		if seen[t] {
			allErrs = append(allErrs, field.Duplicate(path.Index(i).Child("type"), t))
		}
		seen[t] = true
		if t == "" {
			allErrs = append(allErrs, field.Required(path.Index(i).Child("type"), ""))
		}
	}
	return allErrs
}

func validateRules(rule *flowcontrolv1.PolicyRulesWithSubjects, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(rule.Subjects) == 0 {
		allErrs = append(allErrs, field.Required(path.Child("subjects"), "subjects must contain at least one value"))
	}
	for i := range rule.Subjects {
		allErrs = append(allErrs, validateSubject(&rule.Subjects[i], path.Child("subjects").Index(i))...)
	}
	if len(rule.ResourceRules) == 0 && len(rule.NonResourceRules) == 0 {
		allErrs = append(allErrs, field.Required(path, "at least one of resourceRules and nonResourceRules has to be non-empty"))
	}
	for i, r := range rule.ResourceRules {
		p := path.Child("resourceRules").Index(i)
		allErrs = append(allErrs, validateVerbs(r.Verbs, p.Child("verbs"))...)
		allErrs = append(allErrs, validateList(r.APIGroups, p.Child("apiGroups"), "resource rules must supply at least one api group", "api groups")...)
		allErrs = append(allErrs, validateList(r.Resources, p.Child("resources"), "resource rules must supply at least one resource", "resources")...)
		switch {
		case len(r.Namespaces) == 0 && !r.ClusterScope:
			allErrs = append(allErrs, field.Required(p.Child("namespaces"), "resource rules that are not cluster scoped must supply at least one namespace"))
		case slices.Contains(r.Namespaces, "*"):
			if len(r.Namespaces) > 1 {
				allErrs = append(allErrs, field.Invalid(p.Child("namespaces"), r.Namespaces, "if '*' is present, must not specify other namespaces"))
			}
		default:
			for j, ns := range r.Namespaces {
				for _, msg := range apimachineryvalidation.ValidateNamespaceName(ns, false) {
					allErrs = append(allErrs, field.Invalid(p.Child("namespaces").Index(j), ns, "each member of this list must be '*' or a DNS-1123 label; "+msg))
				}
			}
		}
	}
	for i, r := range rule.NonResourceRules {
		p := path.Child("nonResourceRules").Index(i)
		allErrs = append(allErrs, validateVerbs(r.Verbs, p.Child("verbs"))...)
		switch {
		case len(r.NonResourceURLs) == 0:
			allErrs = append(allErrs, field.Required(p.Child("nonResourceURLs"), "nonResourceURLs must contain at least one value"))
		case slices.Contains(r.NonResourceURLs, "*"):
			if len(r.NonResourceURLs) > 1 {
				allErrs = append(allErrs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "if '*' is present, must not specify other non-resource URLs"))
			}
		default:
			for j, url := range r.NonResourceURLs {
				if msg := nonResourceURLProblem(url); msg != "" {
					allErrs = append(allErrs, field.Invalid(p.Child("nonResourceURLs").Index(j), url, msg))
				}
			}
		}
	}
	return allErrs
}

func validateVerbs(vs []string, path *field.Path) field.ErrorList {
	switch {
	case len(vs) == 0:
		return field.ErrorList{field.Required(path, "verbs must contain at least one value")}
	case slices.Contains(vs, "*"):
		if len(vs) > 1 {
			return field.ErrorList{field.Invalid(path, vs, "if '*' is present, must not specify other verbs")}
		}
	default:
		for _, v := range vs {
			if !slices.Contains(verbs, v) {
				return field.ErrorList{field.NotSupported(path, vs, verbs)}
			}
		}
	}
	return nil
}

func validateList(values []string, path *field.Path, required, what string) field.ErrorList {
	switch {
	case len(values) == 0:
		return field.ErrorList{field.Required(path, required)}
	case len(values) > 1 && slices.Contains(values, "*"):
		return field.ErrorList{field.Invalid(path, values, "if '*' is present, must not specify other "+what)}
	}
	return nil
}

// nonResourceURLProblem says what is wrong with a non-resource URL
// pattern: it starts with a slash, has no blanks or double slashes, and a
// wildcard only as its last segment.
func nonResourceURLProblem(url string) string {
	switch {
	case url == "":
		return "must not be empty"
	case url == "/":
		return ""
	case !strings.HasPrefix(url, "/"):
		return "must start with slash"
	case strings.Contains(url, " "):
		return "must not contain white-space"
	case strings.Contains(url, "//"):
		return "must not contain double slash"
	}
	if n := strings.Count(url, "*"); n > 1 || n == 1 && !strings.HasSuffix(url, "/*") {
		return "wildcard can only do suffix matching"
	}
	return ""
}

func validateSubject(s *flowcontrolv1.Subject, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	forbid := func(set bool, name, kind string) {
		if set {
			allErrs = append(allErrs, field.Forbidden(path.Child(name), fmt.Sprintf("%s is forbidden when subject kind is not '%s'", name, kind)))
		}
	}
	switch s.Kind {
	case flowcontrolv1.SubjectKindServiceAccount:
		p := path.Child("serviceAccount")
		switch sa := s.ServiceAccount; {
		case sa == nil:
			allErrs = append(allErrs, field.Required(p, "serviceAccount is required when subject kind is 'ServiceAccount'"))
		default:
			if sa.Name == "" {
				allErrs = append(allErrs, field.Required(p.Child("name"), ""))
			} else if sa.Name != flowcontrolv1.NameAll {
				for _, msg := range apimachineryvalidation.ValidateServiceAccountName(sa.Name, false) {
					allErrs = append(allErrs, field.Invalid(p.Child("name"), sa.Name, msg))
				}
			}
			if sa.Namespace == "" {
				allErrs = append(allErrs, field.Required(p.Child("namespace"), "must specify namespace for service account"))
			}
			for _, msg := range apimachineryvalidation.ValidateNamespaceName(sa.Namespace, false) {
				if sa.Namespace != "" {
					allErrs = append(allErrs, field.Invalid(p.Child("namespace"), sa.Namespace, msg))
				}
			}
		}
		forbid(s.User != nil, "user", "User")
		forbid(s.Group != nil, "group", "Group")
	case flowcontrolv1.SubjectKindUser:
		if s.User == nil {
			allErrs = append(allErrs, field.Required(path.Child("user"), "user is required when subject kind is 'User'"))
		} else if s.User.Name == "" {
			allErrs = append(allErrs, field.Required(path.Child("user", "name"), ""))
		}
		forbid(s.ServiceAccount != nil, "serviceAccount", "ServiceAccount")
		forbid(s.Group != nil, "group", "Group")
	case flowcontrolv1.SubjectKindGroup:
		if s.Group == nil {
			allErrs = append(allErrs, field.Required(path.Child("group"), "group is required when subject kind is 'Group'"))
		} else if s.Group.Name == "" {
			allErrs = append(allErrs, field.Required(path.Child("group", "name"), ""))
		}
		forbid(s.ServiceAccount != nil, "serviceAccount", "ServiceAccount")
		forbid(s.User != nil, "user", "User")
	default:
		allErrs = append(allErrs, field.NotSupported(path.Child("kind"), s.Kind, subjectKinds))
	}
	return allErrs
}

// ValidatePriorityLevelConfiguration checks a level: Exempt exactly for
// the one named exempt, Limited with shares, lending and borrowing in
// range and a Queue or Reject response whose queuing fits shuffle
// sharding; the mandatory levels keep their fixed spec (exempt but for
// spec.exempt).
func ValidatePriorityLevelConfiguration(pl *flowcontrolv1.PriorityLevelConfiguration) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&pl.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	const preserveZero = "flowcontrol.k8s.io/v1beta3-preserve-zero-concurrency-shares"
	if _, ok := pl.Annotations[preserveZero]; ok {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("metadata", "annotations"), fmt.Sprintf("annotation '%s' is forbidden", preserveZero)))
	}
	spec := field.NewPath("spec")
	if (pl.Name == flowcontrolv1.PriorityLevelConfigurationNameExempt) != (pl.Spec.Type == flowcontrolv1.PriorityLevelEnablementExempt) {
		allErrs = append(allErrs, field.Invalid(spec.Child("type"), pl.Spec.Type, "must be 'Exempt' if and only if `name` is 'exempt'"))
	}
	switch pl.Spec.Type {
	case flowcontrolv1.PriorityLevelEnablementExempt:
		if pl.Spec.Limited != nil {
			allErrs = append(allErrs, field.Forbidden(spec.Child("limited"), "must be nil if the type is not Limited"))
		}
		if e := pl.Spec.Exempt; e != nil {
			allErrs = append(allErrs, nonNegative(e.NominalConcurrencyShares, spec.Child("exempt", "nominalConcurrencyShares"), "must be a non-negative integer")...)
			allErrs = append(allErrs, percent(e.LendablePercent, spec.Child("exempt", "lendablePercent"))...)
		}
	case flowcontrolv1.PriorityLevelEnablementLimited:
		if pl.Spec.Exempt != nil {
			allErrs = append(allErrs, field.Forbidden(spec.Child("exempt"), "must be nil if the type is Limited"))
		}
		if l := pl.Spec.Limited; l == nil {
			allErrs = append(allErrs, field.Required(spec.Child("limited"), "must not be empty when type is Limited"))
		} else {
			allErrs = append(allErrs, validateLimited(l, spec.Child("limited"))...)
		}
	case "":
		allErrs = append(allErrs, field.Required(spec.Child("type"), ""))
	default:
		allErrs = append(allErrs, field.NotSupported(spec.Child("type"), pl.Spec.Type, levelTypes))
	}
	if m, ok := mandatory(bootstrap.MandatoryPriorityLevelConfigurations, pl.Name); ok {
		want := m.DeepCopy()
		SetDefaultsPriorityLevelConfiguration(want)
		have := pl.Spec.DeepCopy()
		message := fmt.Sprintf("spec of '%s' must equal the fixed value", pl.Name)
		if pl.Name == flowcontrolv1.PriorityLevelConfigurationNameExempt {
			have.Exempt = want.Spec.Exempt
			message = fmt.Sprintf("spec of '%s' except the 'spec.exempt' field must equal the fixed value", pl.Name)
		}
		if !apiequality.Semantic.DeepEqual(&want.Spec, have) {
			allErrs = append(allErrs, field.Invalid(spec, pl.Spec, message))
		}
	}
	return append(allErrs, ValidatePriorityLevelConfigurationStatusUpdate(pl, nil)...)
}

func validateLimited(l *flowcontrolv1.LimitedPriorityLevelConfiguration, path *field.Path) field.ErrorList {
	allErrs := nonNegative(l.NominalConcurrencyShares, path.Child("nominalConcurrencyShares"), "must be a non-negative integer")
	allErrs = append(allErrs, percent(l.LendablePercent, path.Child("lendablePercent"))...)
	allErrs = append(allErrs, nonNegative(l.BorrowingLimitPercent, path.Child("borrowingLimitPercent"), "if specified, must be a non-negative integer")...)
	response := path.Child("limitResponse")
	switch l.LimitResponse.Type {
	case flowcontrolv1.LimitResponseTypeReject:
		if l.LimitResponse.Queuing != nil {
			allErrs = append(allErrs, field.Forbidden(response.Child("queuing"), "must be nil if limited.limitResponse.type is not Limited"))
		}
	case flowcontrolv1.LimitResponseTypeQueue:
		q := l.LimitResponse.Queuing
		if q == nil {
			return append(allErrs, field.Required(response.Child("queuing"), "must not be empty if limited.limitResponse.type is Limited"))
		}
		qp := response.Child("queuing")
		if q.QueueLengthLimit <= 0 {
			allErrs = append(allErrs, field.Invalid(qp.Child("queueLengthLimit"), q.QueueLengthLimit, "must be positive"))
		}
		if q.Queues <= 0 {
			allErrs = append(allErrs, field.Invalid(qp.Child("queues"), q.Queues, "must be positive"))
		} else if q.Queues > maxQueues {
			allErrs = append(allErrs, field.Invalid(qp.Child("queues"), q.Queues, fmt.Sprintf("must not be greater than %d", maxQueues)))
		}
		switch {
		case q.HandSize <= 0:
			allErrs = append(allErrs, field.Invalid(qp.Child("handSize"), q.HandSize, "must be positive"))
		case q.HandSize > q.Queues:
			allErrs = append(allErrs, field.Invalid(qp.Child("handSize"), q.HandSize, fmt.Sprintf("should not be greater than queues (%d)", q.Queues)))
		case shufflesharding.RequiredEntropyBits(int(q.Queues), int(q.HandSize)) > shufflesharding.MaxHashBits:
			allErrs = append(allErrs, field.Invalid(qp.Child("handSize"), q.HandSize,
				fmt.Sprintf("required entropy bits of deckSize %d and handSize %d should not be greater than %d", q.Queues, q.HandSize, shufflesharding.MaxHashBits)))
		}
	case "":
		allErrs = append(allErrs, field.Required(response.Child("type"), ""))
	default:
		allErrs = append(allErrs, field.NotSupported(response.Child("type"), l.LimitResponse.Type, limitResponseTypes))
	}
	return allErrs
}

func nonNegative(v *int32, path *field.Path, message string) field.ErrorList {
	if v != nil && *v < 0 {
		return field.ErrorList{field.Invalid(path, *v, message)}
	}
	return nil
}

func percent(v *int32, path *field.Path) field.ErrorList {
	if v != nil && (*v < 0 || *v > 100) {
		return field.ErrorList{field.Invalid(path, *v, "must be between 0 and 100, inclusive")}
	}
	return nil
}

// ValidatePriorityLevelConfigurationUpdate checks an updated level as a
// new one.
func ValidatePriorityLevelConfigurationUpdate(pl, old *flowcontrolv1.PriorityLevelConfiguration) field.ErrorList {
	return append(ValidatePriorityLevelConfiguration(pl), apimachineryvalidation.ValidateObjectMetaUpdate(&pl.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
}

// ValidatePriorityLevelConfigurationStatusUpdate checks the conditions.
func ValidatePriorityLevelConfigurationStatusUpdate(pl, _ *flowcontrolv1.PriorityLevelConfiguration) field.ErrorList {
	var types []string
	for _, c := range pl.Status.Conditions {
		types = append(types, string(c.Type))
	}
	return validateConditionTypes(field.NewPath("status", "conditions"), types)
}
