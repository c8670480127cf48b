package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// deploymentRules match deployment creates and updates.
func deploymentRules() *admissionregistrationv1.MatchResources {
	return &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
		}}}}
}

func replicasDeployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
}

// ValidatingAdmissionPolicy: a CEL rule bound with Deny refuses a create
// with the policy's message (422 for the default reason Invalid, though
// the text says forbidden, as upstream's does), a rule reading
// its limit from a parameter ConfigMap refuses above it, a Warn binding
// only warns; kubectl's columns show the policies and bindings.
func TestValidatingAdmissionPolicy(t *testing.T) {
	ns := newNamespace(t)
	client := shared.Client
	policies := client.AdmissionregistrationV1()
	ctx := context.Background()
	if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "limits"},
		Data: map[string]string{"maxReplicas": "3"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: ns + "-replicas"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			ParamKind:        &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			MatchConstraints: deploymentRules(),
			Variables:        []admissionregistrationv1.Variable{{Name: "limit", Expression: "int(params.data.maxReplicas)"}},
			Validations: []admissionregistrationv1.Validation{
				{Expression: "object.spec.replicas <= variables.limit",
					MessageExpression: "'replicas must be at most ' + string(variables.limit) + ', not ' + string(object.spec.replicas)"},
				{Expression: "!object.metadata.name.startsWith('forbidden')", Message: "the name is forbidden", Reason: ptr.To(metav1.StatusReasonForbidden)},
			},
		}}
	created, err := policies.ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return policies.ValidatingAdmissionPolicies().Delete(ctx, policy.Name, metav1.DeleteOptions{})
	})
	if *created.Spec.FailurePolicy != admissionregistrationv1.Fail || *created.Spec.MatchConstraints.MatchPolicy != admissionregistrationv1.Equivalent ||
		created.Generation != 1 {
		t.Errorf("defaults: %s", dump(created.Spec))
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: ns + "-replicas-binding"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy.Name,
			ParamRef:          &admissionregistrationv1.ParamRef{Name: "limits", Namespace: ns, ParameterNotFoundAction: ptr.To(admissionregistrationv1.DenyAction)},
			MatchResources:    &admissionregistrationv1.MatchResources{NamespaceSelector: inNamespace(ns)},
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		}}
	if _, err := policies.ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return policies.ValidatingAdmissionPolicyBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})
	})

	deployments := client.AppsV1().Deployments(ns)
	var refusal error
	waitFor(t, "the policy to refuse a dry run", func(ctx context.Context) bool {
		_, refusal = deployments.Create(ctx, replicasDeployment("big", 5), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return refusal != nil
	})
	want := `deployments.apps "big" is forbidden: ValidatingAdmissionPolicy '` + policy.Name + `' with binding '` + binding.Name +
		`' denied request: replicas must be at most 3, not 5`
	if !apierrors.IsInvalid(refusal) || refusal.Error() != want {
		t.Errorf("refusal:\n got %v\nwant %s", refusal, want)
	}
	_, err = deployments.Create(ctx, replicasDeployment("forbidden-name", 1), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "denied request: the name is forbidden") {
		t.Errorf("a rule with reason Forbidden: %v", err)
	}
	if _, err := deployments.Create(ctx, replicasDeployment("small", 3), metav1.CreateOptions{}); err != nil {
		t.Errorf("within the limit: %v", err)
	}
	// The parameter is read as it is now: raise the limit.
	if _, err := client.CoreV1().ConfigMaps(ns).Update(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "limits"},
		Data: map[string]string{"maxReplicas": "10"}}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the raised limit", func(ctx context.Context) bool {
		_, err := deployments.Create(ctx, replicasDeployment("big", 5), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil
	})

	// A Warn binding for another namespace's objects: a warning, no refusal.
	warnNS := newNamespace(t)
	if _, err := client.CoreV1().ConfigMaps(warnNS).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "limits"},
		Data: map[string]string{"maxReplicas": "1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	warnBinding := binding.DeepCopy()
	warnBinding.Name = warnNS + "-warn"
	warnBinding.Spec.ParamRef.Namespace = warnNS
	warnBinding.Spec.MatchResources.NamespaceSelector = inNamespace(warnNS)
	warnBinding.Spec.ValidationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn}
	if _, err := policies.ValidatingAdmissionPolicyBindings().Create(ctx, warnBinding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return policies.ValidatingAdmissionPolicyBindings().Delete(ctx, warnBinding.Name, metav1.DeleteOptions{})
	})
	warned, warnings := warningClient(t, shared.Config)
	wantWarning := "Validation failed for ValidatingAdmissionPolicy '" + policy.Name + "' with binding '" + warnBinding.Name + "': replicas must be at most 1, not 2"
	waitFor(t, "the Warn binding's warning", func(ctx context.Context) bool {
		_, err := warned.AppsV1().Deployments(warnNS).Create(ctx, replicasDeployment("two", 2), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && strings.Join(warnings.take(), "\n") == wantWarning
	})

	table, err := client.CoreV1().RESTClient().Get().AbsPath("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/"+binding.Name).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"`+binding.Name+`","`+policy.Name+`","`+ns+`/limits"`) {
		t.Errorf("binding table: %v %s", err, table)
	}
	table, err = client.CoreV1().RESTClient().Get().AbsPath("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/"+policy.Name).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"`+policy.Name+`",2,"v1/ConfigMap"`) {
		t.Errorf("policy table: %v %s", err, table)
	}
}

// MutatingAdmissionPolicy: an apply configuration and a JSON patch, both
// in CEL, change a configmap before it is stored.
func TestMutatingAdmissionPolicy(t *testing.T) {
	ns := newNamespace(t)
	client := shared.Client
	policies := client.AdmissionregistrationV1()
	ctx := context.Background()
	policy := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: ns + "-label"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}}}},
			Mutations: []admissionregistrationv1.Mutation{
				{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{
					Expression: `Object{metadata: Object.metadata{labels: {"policy": "applied"}}}`}},
				{PatchType: admissionregistrationv1.PatchTypeJSONPatch, JSONPatch: &admissionregistrationv1.JSONPatch{
					Expression: `[JSONPatch{op: "add", path: "/data", value: {"added-by": "jsonpatch"}}]`}},
			},
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
		}}
	if _, err := policies.MutatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return policies.MutatingAdmissionPolicies().Delete(ctx, policy.Name, metav1.DeleteOptions{})
	})
	binding := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: ns + "-label"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: policy.Name,
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: inNamespace(ns)}}}
	if _, err := policies.MutatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return policies.MutatingAdmissionPolicyBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})
	})
	waitFor(t, "the policy to mutate a dry run", func(ctx context.Context) bool {
		cm, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "probe"}},
			metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && cm.Labels["policy"] == "applied"
	})
	if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mutated"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stored, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "mutated", metav1.GetOptions{})
	if err != nil || stored.Labels["policy"] != "applied" || stored.Data["added-by"] != "jsonpatch" {
		t.Errorf("stored: %v %v", stored, err)
	}
}

// Policies and bindings that cannot work are refused with upstream's
// field paths, CEL compile errors included, and nothing is stored.
func TestAdmissionPolicyValidation(t *testing.T) {
	policies := shared.Client.AdmissionregistrationV1()
	ctx := context.Background()
	_, err := policies.ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "bad-policy"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.FailurePolicyType("Sometimes")),
			ParamKind:     &admissionregistrationv1.ParamKind{APIVersion: "a/b/c"},
			Variables:     []admissionregistrationv1.Variable{{Name: "if", Expression: "1"}},
			Validations: []admissionregistrationv1.Validation{
				{Expression: "object.spec.replicas <"},
				{Expression: "'not a bool'", Message: "two\nlines", Reason: ptr.To(metav1.StatusReasonConflict)},
			},
		}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want 422, got %v", err)
	}
	for _, want := range []string{
		`spec.failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"`,
		`spec.paramKind.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c`,
		`spec.paramKind.kind: Required value`,
		`spec.matchConstraints: Required value`,
		`spec.variables[0].name: Invalid value: "if": must be a valid CEL identifier`,
		`spec.validations[0].expression: Invalid value: "object.spec.replicas <": compilation failed: ERROR: <input>:1:23: Syntax error`,
		`spec.validations[1].expression: Invalid value: "'not a bool'": must evaluate to bool`,
		`spec.validations[1].message: Invalid value: "two\nlines": must not contain line breaks`,
		`spec.validations[1].reason: Unsupported value: "Conflict": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	_, err = policies.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "bad-binding"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			ParamRef:          &admissionregistrationv1.ParamRef{},
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny, admissionregistrationv1.Warn, admissionregistrationv1.Deny},
		}}, metav1.CreateOptions{})
	for _, want := range []string{
		`spec.policyName: Required value`,
		`spec.paramRef: Required value: one of name or selector must be specified`,
		`spec.paramRef.parameterNotFoundAction: Required value`,
		`spec.validationActions[2]: Duplicate value: "Deny"`,
		`must not contain both Deny and Warn`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("binding error lacks %q: %v", want, err)
		}
	}
	_, err = policies.MutatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "bad-mutation"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Delete},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}}}},
			Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch}},
		}}, metav1.CreateOptions{})
	for _, want := range []string{
		`spec.matchConstraints.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`,
		`spec.mutations[0].jsonPatch: Required value: must be specified when patchType is JSONPatch`,
		`spec.reinvocationPolicy: Required value`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mutating policy error lacks %q: %v", want, err)
		}
	}
	for _, name := range []string{"bad-policy", "bad-mutation"} {
		_, errV := policies.ValidatingAdmissionPolicies().Get(ctx, name, metav1.GetOptions{})
		_, errM := policies.MutatingAdmissionPolicies().Get(ctx, name, metav1.GetOptions{})
		if !apierrors.IsNotFound(errV) || !apierrors.IsNotFound(errM) {
			t.Errorf("%s was stored: %v %v", name, errV, errM)
		}
	}
}

// TestValidatingAdmissionPolicyTypeChecking: the controller manager
// type-checks a policy against the schemas of the kinds it matches and
// reports an expression naming a field Deployments do not have, for the
// generation it checked; a fixed policy's next generation has no warning.
func TestValidatingAdmissionPolicyTypeChecking(t *testing.T) {
	ctx := context.Background()
	policies := shared.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	name := newNamespace(t) + "-typecheck"
	policy, err := policies.Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: deploymentRules(),
			Validations: []admissionregistrationv1.Validation{
				{Expression: "object.spec.replicas <= 5"},
				{Expression: "object.spec.replicaz <= 5"},
			},
		}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error { return policies.Delete(ctx, name, metav1.DeleteOptions{}) })
	checked := func(generation int64) *admissionregistrationv1.ValidatingAdmissionPolicy {
		t.Helper()
		var got *admissionregistrationv1.ValidatingAdmissionPolicy
		waitFor(t, fmt.Sprintf("generation %d type-checked", generation), func(ctx context.Context) bool {
			got, err = policies.Get(ctx, name, metav1.GetOptions{})
			return err == nil && got.Status.ObservedGeneration >= generation
		})
		return got
	}
	got := checked(policy.Generation)
	var warnings []admissionregistrationv1.ExpressionWarning
	if got.Status.TypeChecking != nil {
		warnings = got.Status.TypeChecking.ExpressionWarnings
	}
	if len(warnings) != 1 || warnings[0].FieldRef != "spec.validations[1].expression" || !strings.Contains(warnings[0].Warning, "undefined field 'replicaz'") {
		t.Fatalf("warnings: %+v", warnings)
	}
	got.Spec.Validations = got.Spec.Validations[:1]
	fixed, err := policies.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got = checked(fixed.Generation); got.Status.TypeChecking != nil && len(got.Status.TypeChecking.ExpressionWarnings) != 0 {
		t.Errorf("the fixed policy still has warnings: %+v", got.Status.TypeChecking.ExpressionWarnings)
	}
}
