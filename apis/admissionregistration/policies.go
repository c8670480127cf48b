package admissionregistration

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/client-go/util/jsonpath"
)

// Upstream's bounds on a ValidatingAdmissionPolicy's audit annotations.
const (
	maxAuditAnnotations         = 20
	maxAuditAnnotationValueExpr = 5 * 1024
)

var (
	validationReasons = sets.New(string(metav1.StatusReasonForbidden), string(metav1.StatusReasonInvalid), string(metav1.StatusReasonRequestEntityTooLarge))
	validationActions = sets.New(string(admissionregistrationv1.Deny), string(admissionregistrationv1.Warn), string(admissionregistrationv1.Audit))
	patchTypes        = sets.New(string(admissionregistrationv1.PatchTypeApplyConfiguration), string(admissionregistrationv1.PatchTypeJSONPatch))
	// A mutating policy cannot act on a delete: there is no object to change.
	mutatingOperations = sets.New("*", "CREATE", "UPDATE", "CONNECT")
	notFoundActions    = []string{string(admissionregistrationv1.DenyAction), string(admissionregistrationv1.AllowAction)}

	celIdentifier = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)
	celReserved   = sets.New("true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
		"if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while")
	lineBreaks = regexp.MustCompile(`[\n\r]+`)
)

// expressions compiles a policy's or webhook's CEL expressions as the
// admission plugins will, so that a mistake is a 422 at its field rather
// than a failure at every request. Expressions the stored object already
// has compile in the stored-expression environment, so that an object
// written by a newer server stays writable after a downgrade.
type expressions struct {
	compiler plugincel.Compiler
	stored   sets.Set[string]
}

var (
	statelessOnce     sync.Once
	statelessCompiler plugincel.Compiler
)

// newExpressions compiles with variables (composition) when the policy
// declares any, else with one shared stateless compiler.
func newExpressions(withVariables bool, stored sets.Set[string]) *expressions {
	envs := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())
	if withVariables {
		if composited, err := plugincel.NewCompositedCompiler(envs); err == nil {
			return &expressions{compiler: composited, stored: stored}
		}
	}
	statelessOnce.Do(func() { statelessCompiler = plugincel.NewCompiler(envs) })
	return &expressions{compiler: statelessCompiler, stored: stored}
}

func (e *expressions) mode(expression string) environment.Type {
	if e.stored.Has(expression) {
		return environment.StoredExpressions
	}
	return environment.NewExpressions
}

func (e *expressions) check(accessor plugincel.ExpressionAccessor, decls plugincel.OptionalVariableDeclarations, path *field.Path) field.ErrorList {
	result := e.compiler.CompileCELExpression(accessor, decls, e.mode(accessor.GetExpression()))
	if result.Error == nil {
		return nil
	}
	return field.ErrorList{celError(path, accessor.GetExpression(), result.Error)}
}

// variable compiles and remembers a variable for the expressions after it.
func (e *expressions) variable(v *admissionregistrationv1.Variable, hasParams bool, path *field.Path) field.ErrorList {
	composited, ok := e.compiler.(*plugincel.CompositedCompiler)
	if !ok {
		return field.ErrorList{field.InternalError(path, fmt.Errorf("variable composition is not allowed"))}
	}
	result := composited.CompileAndStoreVariable(&validating.Variable{Name: v.Name, Expression: v.Expression},
		plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, e.mode(v.Expression))
	if result.Error == nil {
		return nil
	}
	return field.ErrorList{celError(path, v.Expression, result.Error)}
}

func celError(path *field.Path, expression string, err *apiservercel.Error) *field.Error {
	switch err.Type {
	case apiservercel.ErrorTypeRequired:
		return field.Required(path, err.Detail)
	case apiservercel.ErrorTypeInvalid:
		return field.Invalid(path, expression, err.Detail)
	default:
		return field.InternalError(path, err)
	}
}

// validateMatchConditions checks webhook or policy match conditions: at
// most 64, named uniquely with qualified names, boolean CEL.
func validateMatchConditions(conditions []admissionregistrationv1.MatchCondition, hasParams bool, stored sets.Set[string], path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(conditions) > matchConditionLimit {
		allErrs = append(allErrs, field.TooMany(path, len(conditions), matchConditionLimit))
	}
	compile := newExpressions(false, stored)
	names := sets.New[string]()
	for i, c := range conditions {
		p := path.Index(i)
		if expression := strings.TrimSpace(c.Expression); expression == "" {
			allErrs = append(allErrs, field.Required(p.Child("expression"), ""))
		} else {
			allErrs = append(allErrs, compile.check(&matchconditions.MatchCondition{Expression: expression},
				plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, p.Child("expression"))...)
		}
		if c.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("name"), ""))
		} else {
			for _, msg := range utilvalidation.IsQualifiedName(c.Name) {
				allErrs = append(allErrs, field.Invalid(p.Child("name"), c.Name, msg))
			}
			if names.Has(c.Name) {
				allErrs = append(allErrs, field.Duplicate(p.Child("name"), c.Name))
			}
			names.Insert(c.Name)
		}
	}
	return allErrs
}

// policyCommon is what the two policy kinds share.
type policyCommon struct {
	failurePolicy    *admissionregistrationv1.FailurePolicyType
	paramKind        *admissionregistrationv1.ParamKind
	matchConstraints *admissionregistrationv1.MatchResources
	matchConditions  []admissionregistrationv1.MatchCondition
	variables        []admissionregistrationv1.Variable
}

// validatePolicyCommon checks the shared fields and compiles the
// variables into compile, for the expressions that use them.
func validatePolicyCommon(p policyCommon, compile *expressions, skipMatchConditions bool, stored sets.Set[string]) field.ErrorList {
	var allErrs field.ErrorList
	if p.failurePolicy == nil {
		allErrs = append(allErrs, field.Required(specPath.Child("failurePolicy"), ""))
	} else {
		allErrs = append(allErrs, oneOf(p.failurePolicy, failurePolicies, specPath.Child("failurePolicy"))...)
	}
	if p.paramKind != nil {
		allErrs = append(allErrs, validateParamKind(*p.paramKind, specPath.Child("paramKind"))...)
	}
	if p.matchConstraints == nil {
		allErrs = append(allErrs, field.Required(specPath.Child("matchConstraints"), ""))
	} else {
		allErrs = append(allErrs, validateMatchResources(p.matchConstraints, specPath.Child("matchConstraints"))...)
		// The rules give the expressions the type of the object.
		if len(p.matchConstraints.ResourceRules) == 0 {
			allErrs = append(allErrs, field.Required(specPath.Child("matchConstraints", "resourceRules"), ""))
		}
	}
	if !skipMatchConditions {
		allErrs = append(allErrs, validateMatchConditions(p.matchConditions, p.paramKind != nil, stored, specPath.Child("matchConditions"))...)
	}
	for i := range p.variables {
		v, path := &p.variables[i], specPath.Child("variables").Index(i)
		if strings.TrimSpace(v.Name) == "" {
			allErrs = append(allErrs, field.Required(path.Child("name"), "name is not specified"))
		} else if !celIdentifier.MatchString(v.Name) || celReserved.Has(v.Name) {
			allErrs = append(allErrs, field.Invalid(path.Child("name"), v.Name, "must be a valid CEL identifier"))
		}
		if strings.TrimSpace(v.Expression) == "" {
			allErrs = append(allErrs, field.Required(path.Child("expression"), "expression is not specified"))
		} else {
			allErrs = append(allErrs, compile.variable(v, p.paramKind != nil, path.Child("expression"))...)
		}
	}
	return allErrs
}

func validateParamKind(kind admissionregistrationv1.ParamKind, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if kind.APIVersion == "" {
		allErrs = append(allErrs, field.Required(path.Child("apiVersion"), ""))
	} else if group, version, err := splitAPIVersion(kind.APIVersion); err != nil {
		allErrs = append(allErrs, field.Invalid(path.Child("apiVersion"), kind.APIVersion, err.Error()))
	} else {
		// As an APIService's group and version are checked.
		if group != "" {
			if msgs := utilvalidation.IsDNS1123Subdomain(group); len(msgs) > 0 {
				allErrs = append(allErrs, field.Invalid(path.Child("apiVersion"), group, strings.Join(msgs, ",")))
			}
		}
		if version == "" {
			allErrs = append(allErrs, field.Invalid(path.Child("apiVersion"), kind.APIVersion, "version must be specified"))
		} else if msgs := utilvalidation.IsDNS1035Label(version); len(msgs) > 0 {
			allErrs = append(allErrs, field.Invalid(path.Child("apiVersion"), version, strings.Join(msgs, ",")))
		}
	}
	if kind.Kind == "" {
		allErrs = append(allErrs, field.Required(path.Child("kind"), ""))
	} else if msgs := utilvalidation.IsDNS1035Label(strings.ToLower(kind.Kind)); len(msgs) > 0 {
		allErrs = append(allErrs, field.Invalid(path.Child("kind"), kind.Kind, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ",")))
	}
	return allErrs
}

// splitAPIVersion reads "group/version" or a legacy "version".
func splitAPIVersion(apiVersion string) (group, version string, err error) {
	if apiVersion == "/" {
		return "", "", nil
	}
	switch strings.Count(apiVersion, "/") {
	case 0:
		return "", apiVersion, nil
	case 1:
		group, version, _ = strings.Cut(apiVersion, "/")
		return group, version, nil
	default:
		return "", "", fmt.Errorf("unexpected GroupVersion string: %v", apiVersion)
	}
}

// ValidateValidatingAdmissionPolicy checks a new policy.
func ValidateValidatingAdmissionPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	return validateValidatingPolicy(p, false, sets.New[string]())
}

// ValidateValidatingAdmissionPolicyUpdate checks an update of the spec.
func ValidateValidatingAdmissionPolicyUpdate(p, old *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&p.ObjectMeta, &old.ObjectMeta, metadataPath)
	same := equality.Semantic.DeepEqual(p.Spec.ParamKind, old.Spec.ParamKind) && equality.Semantic.DeepEqual(p.Spec.MatchConditions, old.Spec.MatchConditions)
	return append(allErrs, validateValidatingPolicy(p, same, validatingPolicyExpressions(old))...)
}

func validatingPolicyExpressions(p *admissionregistrationv1.ValidatingAdmissionPolicy) sets.Set[string] {
	out := sets.New[string]()
	for _, c := range p.Spec.MatchConditions {
		out.Insert(c.Expression)
	}
	for _, v := range p.Spec.Variables {
		out.Insert(v.Expression)
	}
	for _, v := range p.Spec.Validations {
		out.Insert(v.Expression, v.MessageExpression)
	}
	for _, a := range p.Spec.AuditAnnotations {
		out.Insert(a.ValueExpression)
	}
	return out
}

func validateValidatingPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy, skipMatchConditions bool, stored sets.Set[string]) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&p.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	spec := &p.Spec
	compile := newExpressions(len(spec.Variables) > 0, stored)
	allErrs = append(allErrs, validatePolicyCommon(policyCommon{spec.FailurePolicy, spec.ParamKind, spec.MatchConstraints, spec.MatchConditions, spec.Variables},
		compile, skipMatchConditions, stored)...)
	hasParams := spec.ParamKind != nil
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		const msg = "validations or auditAnnotations must contain at least one item"
		return append(allErrs, field.Required(specPath.Child("validations"), msg), field.Required(specPath.Child("auditAnnotations"), msg))
	}
	for i := range spec.Validations {
		allErrs = append(allErrs, validateValidation(compile, &spec.Validations[i], hasParams, specPath.Child("validations").Index(i))...)
	}
	if len(spec.AuditAnnotations) > maxAuditAnnotations {
		allErrs = append(allErrs, field.Invalid(specPath.Child("auditAnnotations"), spec.AuditAnnotations, fmt.Sprintf("must not have more than %d auditAnnotations", maxAuditAnnotations)))
	}
	keys := sets.New[string]()
	for i, a := range spec.AuditAnnotations {
		path := specPath.Child("auditAnnotations").Index(i)
		// The key is published as "<policy name>/<key>".
		if p.Name == "" {
			allErrs = append(allErrs, field.Invalid(path.Child("key"), a.Key, "requires metadata.name be non-empty"))
		} else {
			for _, msg := range utilvalidation.IsQualifiedName(p.Name + "/" + a.Key) {
				allErrs = append(allErrs, field.Invalid(path.Child("key"), p.Name+"/"+a.Key, msg))
			}
		}
		switch value := strings.TrimSpace(a.ValueExpression); {
		case value == "":
			allErrs = append(allErrs, field.Required(path.Child("valueExpression"), "valueExpression is not specified"))
		case len(value) > maxAuditAnnotationValueExpr:
			allErrs = append(allErrs, field.Required(path.Child("valueExpression"), fmt.Sprintf("must not exceed %d bytes in length", maxAuditAnnotationValueExpr)))
		default:
			allErrs = append(allErrs, compile.check(&validating.AuditAnnotationCondition{ValueExpression: value},
				plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, path.Child("valueExpression"))...)
		}
		if keys.Has(a.Key) {
			allErrs = append(allErrs, field.Duplicate(path.Child("key"), a.Key))
		}
		keys.Insert(a.Key)
	}
	return allErrs
}

func validateValidation(compile *expressions, v *admissionregistrationv1.Validation, hasParams bool, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if strings.TrimSpace(v.Expression) == "" {
		allErrs = append(allErrs, field.Required(path.Child("expression"), "expression is not specified"))
	} else {
		allErrs = append(allErrs, compile.check(&validating.ValidationCondition{Expression: v.Expression},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, path.Child("expression"))...)
	}
	if v.MessageExpression != "" && strings.TrimSpace(v.MessageExpression) == "" {
		allErrs = append(allErrs, field.Invalid(path.Child("messageExpression"), v.MessageExpression, "must be non-empty if specified"))
	} else if v.MessageExpression != "" {
		// Compiled as written, so that the compiler's columns are right.
		allErrs = append(allErrs, compile.check(&validating.MessageExpressionCondition{MessageExpression: v.MessageExpression},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams}, path.Child("messageExpression"))...)
	}
	message := strings.TrimSpace(v.Message)
	if v.Message != "" && message == "" {
		allErrs = append(allErrs, field.Invalid(path.Child("message"), v.Message, "must be non-empty if specified"))
	} else if lineBreaks.MatchString(message) {
		allErrs = append(allErrs, field.Invalid(path.Child("message"), v.Message, "must not contain line breaks"))
	}
	if v.Reason != nil && !validationReasons.Has(string(*v.Reason)) {
		allErrs = append(allErrs, field.NotSupported(path.Child("reason"), *v.Reason, sets.List(validationReasons)))
	}
	return allErrs
}

// ValidateValidatingAdmissionPolicyStatus checks a status write: type
// checking warnings name a field by JSONPath; conditions are well formed.
func ValidateValidatingAdmissionPolicyStatus(p, _ *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	path := field.NewPath("status")
	var allErrs field.ErrorList
	if tc := p.Status.TypeChecking; tc != nil {
		for i, w := range tc.ExpressionWarnings {
			wp := path.Child("typeChecking", "expressionWarnings").Index(i)
			if w.Warning == "" {
				allErrs = append(allErrs, field.Required(wp.Child("warning"), ""))
			}
			ref := strings.TrimSpace(w.FieldRef)
			if ref == "" {
				allErrs = append(allErrs, field.Required(wp.Child("fieldRef"), ""))
			} else if err := jsonpath.New("spec").Parse("{" + ref + "}"); err != nil {
				allErrs = append(allErrs, field.Invalid(wp.Child("fieldRef"), ref, fmt.Sprintf("invalid JSONPath: %v", err)))
			}
		}
	}
	return append(allErrs, metav1validation.ValidateConditions(p.Status.Conditions, path.Child("conditions"))...)
}

// ValidateValidatingAdmissionPolicyBinding checks a binding.
func ValidateValidatingAdmissionPolicyBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := validateBinding(&b.ObjectMeta, b.Spec.PolicyName, b.Spec.ParamRef, b.Spec.MatchResources)
	path := specPath.Child("validationActions")
	seen := sets.New[string]()
	for i, a := range b.Spec.ValidationActions {
		if !validationActions.Has(string(a)) {
			allErrs = append(allErrs, field.NotSupported(path.Index(i), a, sets.List(validationActions)))
		}
		if seen.Has(string(a)) {
			allErrs = append(allErrs, field.Duplicate(path.Index(i), a))
		}
		seen.Insert(string(a))
	}
	if seen.Has(string(admissionregistrationv1.Deny)) && seen.Has(string(admissionregistrationv1.Warn)) {
		allErrs = append(allErrs, field.Invalid(path, b.Spec.ValidationActions,
			"must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	if seen.Len() == 0 {
		allErrs = append(allErrs, field.Required(path, "at least one validation action is required"))
	}
	return allErrs
}

// ValidateValidatingAdmissionPolicyBindingUpdate checks an update.
func ValidateValidatingAdmissionPolicyBindingUpdate(b, old *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, ValidateValidatingAdmissionPolicyBinding(b)...)
}

func validateBinding(meta *metav1.ObjectMeta, policyName string, ref *admissionregistrationv1.ParamRef, match *admissionregistrationv1.MatchResources) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(meta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	if policyName == "" {
		allErrs = append(allErrs, field.Required(specPath.Child("policyName"), ""))
	} else {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(policyName, false) {
			allErrs = append(allErrs, field.Invalid(specPath.Child("policyName"), policyName, msg))
		}
	}
	allErrs = append(allErrs, validateParamRef(ref, specPath.Child("paramRef"))...)
	return append(allErrs, validateMatchResources(match, specPath.Child("matchResources"))...)
}

func validateParamRef(ref *admissionregistrationv1.ParamRef, path *field.Path) field.ErrorList {
	if ref == nil {
		return nil
	}
	var allErrs field.ErrorList
	const exclusive = "name and selector are mutually exclusive"
	if ref.Name != "" {
		for _, msg := range content.IsPathSegmentName(ref.Name) {
			allErrs = append(allErrs, field.Invalid(path.Child("name"), ref.Name, msg))
		}
		if ref.Selector != nil {
			allErrs = append(allErrs, field.Forbidden(path.Child("name"), exclusive))
		}
	}
	if ref.Selector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(ref.Selector, metav1validation.LabelSelectorValidationOptions{}, path.Child("selector"))...)
		if ref.Name != "" {
			allErrs = append(allErrs, field.Forbidden(path.Child("selector"), exclusive))
		}
	}
	if ref.Name == "" && ref.Selector == nil {
		allErrs = append(allErrs, field.Required(path, "one of name or selector must be specified"))
	}
	if a := ref.ParameterNotFoundAction; a == nil || *a == "" {
		allErrs = append(allErrs, field.Required(path.Child("parameterNotFoundAction"), ""))
	} else if *a != admissionregistrationv1.DenyAction && *a != admissionregistrationv1.AllowAction {
		allErrs = append(allErrs, field.NotSupported(path.Child("parameterNotFoundAction"), *a, notFoundActions))
	}
	return allErrs
}

// ValidateMutatingAdmissionPolicy checks a new policy.
func ValidateMutatingAdmissionPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy) field.ErrorList {
	return validateMutatingPolicy(p, false, sets.New[string]())
}

// ValidateMutatingAdmissionPolicyUpdate checks an update.
func ValidateMutatingAdmissionPolicyUpdate(p, old *admissionregistrationv1.MutatingAdmissionPolicy) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&p.ObjectMeta, &old.ObjectMeta, metadataPath)
	same := equality.Semantic.DeepEqual(p.Spec.ParamKind, old.Spec.ParamKind) && equality.Semantic.DeepEqual(p.Spec.MatchConditions, old.Spec.MatchConditions)
	stored := sets.New[string]()
	for _, c := range old.Spec.MatchConditions {
		stored.Insert(c.Expression)
	}
	for _, v := range old.Spec.Variables {
		stored.Insert(v.Expression)
	}
	for _, m := range old.Spec.Mutations {
		if m.ApplyConfiguration != nil {
			stored.Insert(m.ApplyConfiguration.Expression)
		}
		if m.JSONPatch != nil {
			stored.Insert(m.JSONPatch.Expression)
		}
	}
	return append(allErrs, validateMutatingPolicy(p, same, stored)...)
}

func validateMutatingPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy, skipMatchConditions bool, stored sets.Set[string]) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&p.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	spec := &p.Spec
	compile := newExpressions(true, stored)
	allErrs = append(allErrs, validatePolicyCommon(policyCommon{spec.FailurePolicy, spec.ParamKind, spec.MatchConstraints, spec.MatchConditions, spec.Variables},
		compile, skipMatchConditions, stored)...)
	if spec.MatchConstraints != nil {
		allErrs = append(allErrs, mutatingOperationsOnly(spec.MatchConstraints, specPath.Child("matchConstraints", "resourceRules", "operations"))...)
	}
	if len(spec.Mutations) == 0 {
		allErrs = append(allErrs, field.Required(specPath.Child("mutations"), "mutations must contain at least one item"))
	}
	decls := plugincel.OptionalVariableDeclarations{HasParams: spec.ParamKind != nil, HasAuthorizer: true, HasPatchTypes: true}
	for i, m := range spec.Mutations {
		path := specPath.Child("mutations").Index(i)
		switch m.PatchType {
		case "":
			allErrs = append(allErrs, field.Required(path.Child("patchType"), ""))
		case admissionregistrationv1.PatchTypeJSONPatch:
			if m.JSONPatch == nil {
				allErrs = append(allErrs, field.Required(path.Child("jsonPatch"), "must be specified when patchType is JSONPatch"))
			} else if expression := strings.TrimSpace(m.JSONPatch.Expression); expression == "" {
				allErrs = append(allErrs, field.Required(path.Child("jsonPatch", "expression"), ""))
			} else {
				allErrs = append(allErrs, compile.check(&patch.JSONPatchCondition{Expression: expression}, decls, path.Child("jsonPatch", "expression"))...)
			}
			if m.ApplyConfiguration != nil {
				allErrs = append(allErrs, field.Invalid(path.Child("applyConfiguration"), "{applyConfiguration}", "must not be specified when patchType is JSONPatch"))
			}
		case admissionregistrationv1.PatchTypeApplyConfiguration:
			if m.ApplyConfiguration == nil {
				allErrs = append(allErrs, field.Required(path.Child("applyConfiguration"), "must be specified when patchType is ApplyConfiguration"))
			} else if expression := strings.TrimSpace(m.ApplyConfiguration.Expression); expression == "" {
				allErrs = append(allErrs, field.Required(path.Child("applyConfiguration", "expression"), ""))
			} else {
				allErrs = append(allErrs, compile.check(&patch.ApplyConfigurationCondition{Expression: expression}, decls, path.Child("applyConfiguration", "expression"))...)
			}
			if m.JSONPatch != nil {
				allErrs = append(allErrs, field.Invalid(path.Child("jsonPatch"), "{jsonPatch}", "must not be specified when patchType is ApplyConfiguration"))
			}
		default:
			allErrs = append(allErrs, field.NotSupported(path.Child("patchType"), m.PatchType, sets.List(patchTypes)))
		}
	}
	if spec.ReinvocationPolicy == "" {
		allErrs = append(allErrs, field.Required(specPath.Child("reinvocationPolicy"), ""))
	} else {
		allErrs = append(allErrs, oneOf(&spec.ReinvocationPolicy, reinvocation, specPath.Child("reinvocationPolicy"))...)
	}
	return allErrs
}

func mutatingOperationsOnly(m *admissionregistrationv1.MatchResources, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, rule := range m.ResourceRules {
		for _, op := range rule.Operations {
			if !mutatingOperations.Has(string(op)) {
				allErrs = append(allErrs, field.NotSupported(path, op, sets.List(mutatingOperations)))
			}
		}
	}
	return allErrs
}

// ValidateMutatingAdmissionPolicyBinding checks a binding.
func ValidateMutatingAdmissionPolicyBinding(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := validateBinding(&b.ObjectMeta, b.Spec.PolicyName, b.Spec.ParamRef, b.Spec.MatchResources)
	if b.Spec.MatchResources != nil {
		allErrs = append(allErrs, mutatingOperationsOnly(b.Spec.MatchResources, specPath.Child("matchResources", "resourceRules", "operations"))...)
	}
	return allErrs
}

// ValidateMutatingAdmissionPolicyBindingUpdate checks an update.
func ValidateMutatingAdmissionPolicyBindingUpdate(b, old *admissionregistrationv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, ValidateMutatingAdmissionPolicyBinding(b)...)
}
