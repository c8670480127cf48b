package core

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The rules below are upstream's for the parts of a pod spec that steer the
// scheduler: affinity, topology spread constraints and scheduling gates.

var (
	spreadActions       = sets.New(corev1.DoNotSchedule, corev1.ScheduleAnyway)
	inclusionPolicies   = sets.New(corev1.NodeInclusionPolicyIgnore, corev1.NodeInclusionPolicyHonor)
	strictLabelSelector = unversionedvalidation.LabelSelectorValidationOptions{}
)

func validateAffinity(a *corev1.Affinity, fldPath *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	var allErrs field.ErrorList
	if na := a.NodeAffinity; na != nil {
		path := fldPath.Child("nodeAffinity")
		if required := na.RequiredDuringSchedulingIgnoredDuringExecution; required != nil {
			allErrs = append(allErrs, validateNodeSelector(required, path.Child("requiredDuringSchedulingIgnoredDuringExecution"))...)
		}
		for i, term := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			idx := path.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			allErrs = append(allErrs, validateWeight(term.Weight, idx.Child("weight"))...)
			// A preferred term may name label values that are not valid
			// label values: it can still match nothing harmlessly.
			allErrs = append(allErrs, validateNodeSelectorTerm(term.Preference, false, idx.Child("preference"))...)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		allErrs = append(allErrs, validatePodAffinityTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, fldPath.Child("podAffinity"))...)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		allErrs = append(allErrs, validatePodAffinityTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, fldPath.Child("podAntiAffinity"))...)
	}
	return allErrs
}

func validateWeight(w int32, fldPath *field.Path) field.ErrorList {
	if w <= 0 || w > 100 {
		return field.ErrorList{field.Invalid(fldPath, w, "must be in the range 1-100")}
	}
	return nil
}

func validateNodeSelector(s *corev1.NodeSelector, fldPath *field.Path) field.ErrorList {
	terms := fldPath.Child("nodeSelectorTerms")
	if len(s.NodeSelectorTerms) == 0 {
		return field.ErrorList{field.Required(terms, "must have at least one node selector term")}
	}
	var allErrs field.ErrorList
	for i, term := range s.NodeSelectorTerms {
		allErrs = append(allErrs, validateNodeSelectorTerm(term, true, terms.Index(i))...)
	}
	return allErrs
}

func validateNodeSelectorTerm(term corev1.NodeSelectorTerm, checkValues bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, r := range term.MatchExpressions {
		idx := fldPath.Child("matchExpressions").Index(i)
		switch r.Operator {
		case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
			if len(r.Values) == 0 {
				allErrs = append(allErrs, field.Required(idx.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
			}
		case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				allErrs = append(allErrs, field.Forbidden(idx.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
			}
		case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
			if len(r.Values) != 1 {
				allErrs = append(allErrs, field.Required(idx.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
			}
		default:
			allErrs = append(allErrs, field.Invalid(idx.Child("operator"), r.Operator, "not a valid selector operator"))
		}
		allErrs = append(allErrs, unversionedvalidation.ValidateLabelName(r.Key, idx.Child("key"))...)
		if checkValues {
			for j, v := range r.Values {
				for _, msg := range validation.IsValidLabelValue(v) {
					allErrs = append(allErrs, field.Invalid(idx.Child("values").Index(j), v, msg))
				}
			}
		}
	}
	for i, r := range term.MatchFields {
		idx := fldPath.Child("matchFields").Index(i)
		if r.Operator != corev1.NodeSelectorOpIn && r.Operator != corev1.NodeSelectorOpNotIn {
			allErrs = append(allErrs, field.Invalid(idx.Child("operator"), r.Operator, "not a valid selector operator"))
		} else if len(r.Values) != 1 {
			allErrs = append(allErrs, field.Required(idx.Child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
		}
		if r.Key != "metadata.name" {
			allErrs = append(allErrs, field.Invalid(idx.Child("key"), r.Key, "not a valid field selector key"))
			continue
		}
		for j, v := range r.Values {
			for _, msg := range validation.IsDNS1123Subdomain(v) {
				allErrs = append(allErrs, field.Invalid(idx.Child("values").Index(j), v, msg))
			}
		}
	}
	return allErrs
}

func validatePodAffinityTerms(required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, term := range required {
		allErrs = append(allErrs, validatePodAffinityTerm(term, fldPath.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i))...)
	}
	for i, term := range preferred {
		idx := fldPath.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
		allErrs = append(allErrs, validateWeight(term.Weight, idx.Child("weight"))...)
		allErrs = append(allErrs, validatePodAffinityTerm(term.PodAffinityTerm, idx.Child("podAffinityTerm"))...)
	}
	return allErrs
}

func validatePodAffinityTerm(term corev1.PodAffinityTerm, fldPath *field.Path) field.ErrorList {
	allErrs := unversionedvalidation.ValidateLabelSelector(term.LabelSelector, strictLabelSelector, fldPath.Child("labelSelector"))
	allErrs = append(allErrs, unversionedvalidation.ValidateLabelSelector(term.NamespaceSelector, strictLabelSelector, fldPath.Child("namespaceSelector"))...)
	for _, name := range term.Namespaces {
		for _, msg := range apimachineryvalidation.ValidateNamespaceName(name, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("namespace"), name, msg))
		}
	}
	allErrs = append(allErrs, validateLabelKeys(term.MatchLabelKeys, term.LabelSelector, false, fldPath.Child("matchLabelKeys"))...)
	allErrs = append(allErrs, validateLabelKeys(term.MismatchLabelKeys, term.LabelSelector, false, fldPath.Child("mismatchLabelKeys"))...)
	mismatch := sets.New(term.MismatchLabelKeys...)
	for i, key := range term.MatchLabelKeys {
		if mismatch.Has(key) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("matchLabelKeys").Index(i), key, "exists in both matchLabelKeys and mismatchLabelKeys"))
		}
	}
	if term.TopologyKey == "" {
		return append(allErrs, field.Required(fldPath.Child("topologyKey"), "can not be empty"))
	}
	return append(allErrs, unversionedvalidation.ValidateLabelName(term.TopologyKey, fldPath.Child("topologyKey"))...)
}

// validateLabelKeys checks matchLabelKeys (and mismatchLabelKeys): label
// names, only beside a selector and, where notInSelector, not keys of the
// selector already (a topology spread constraint's keys are added to its
// selector when it is evaluated, so a key in both could never vary).
func validateLabelKeys(keys []string, selector *metav1.LabelSelector, notInSelector bool, fldPath *field.Path) field.ErrorList {
	if len(keys) == 0 {
		return nil
	}
	if selector == nil {
		return field.ErrorList{field.Forbidden(fldPath, "must not be specified when labelSelector is not set")}
	}
	var allErrs field.ErrorList
	inSelector := sets.New[string]()
	for _, r := range selector.MatchExpressions {
		inSelector.Insert(r.Key)
	}
	for k := range selector.MatchLabels {
		inSelector.Insert(k)
	}
	for i, key := range keys {
		allErrs = append(allErrs, unversionedvalidation.ValidateLabelName(key, fldPath.Index(i))...)
		if notInSelector && inSelector.Has(key) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), key, "exists in both matchLabelKeys and labelSelector"))
		}
	}
	return allErrs
}

func validateTopologySpreadConstraints(constraints []corev1.TopologySpreadConstraint, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, c := range constraints {
		idx := fldPath.Index(i)
		if c.MaxSkew <= 0 {
			allErrs = append(allErrs, field.Invalid(idx.Child("maxSkew"), c.MaxSkew, "must be greater than zero"))
		}
		if c.TopologyKey == "" {
			allErrs = append(allErrs, field.Required(idx.Child("topologyKey"), "can not be empty"))
		}
		if !spreadActions.Has(c.WhenUnsatisfiable) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, sets.List(spreadActions)))
		}
		for _, later := range constraints[i+1:] {
			if later.TopologyKey == c.TopologyKey && later.WhenUnsatisfiable == c.WhenUnsatisfiable {
				allErrs = append(allErrs, field.Duplicate(idx.Child("{topologyKey, whenUnsatisfiable}"), fmt.Sprintf("{%v, %v}", c.TopologyKey, c.WhenUnsatisfiable)))
				break
			}
		}
		if m := c.MinDomains; m != nil {
			if *m <= 0 {
				allErrs = append(allErrs, field.Invalid(idx.Child("minDomains"), *m, "must be greater than zero"))
			}
			if c.WhenUnsatisfiable != corev1.DoNotSchedule {
				allErrs = append(allErrs, field.Invalid(idx.Child("minDomains"), *m, fmt.Sprintf("can only use minDomains if whenUnsatisfiable=%s, not %s", corev1.DoNotSchedule, c.WhenUnsatisfiable)))
			}
		}
		for _, policy := range []named[*corev1.NodeInclusionPolicy]{{"nodeAffinityPolicy", c.NodeAffinityPolicy}, {"nodeTaintsPolicy", c.NodeTaintsPolicy}} {
			if policy.value != nil && !inclusionPolicies.Has(*policy.value) {
				allErrs = append(allErrs, field.NotSupported(idx.Child(policy.name), *policy.value, sets.List(inclusionPolicies)))
			}
		}
		allErrs = append(allErrs, validateLabelKeys(c.MatchLabelKeys, c.LabelSelector, true, idx.Child("matchLabelKeys"))...)
		allErrs = append(allErrs, unversionedvalidation.ValidateLabelSelector(c.LabelSelector, strictLabelSelector, idx.Child("labelSelector"))...)
	}
	return allErrs
}

func validateSchedulingGates(gates []corev1.PodSchedulingGate, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, g := range gates {
		for _, msg := range validation.IsQualifiedName(g.Name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), g.Name, msg))
		}
		if seen.Has(g.Name) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Index(i), g.Name))
		}
		seen.Insert(g.Name)
	}
	return allErrs
}

// validateOnlyRemovedGates: a pod's scheduling gates may be removed, never
// added.
func validateOnlyRemovedGates(gates, old []corev1.PodSchedulingGate, fldPath *field.Path) field.ErrorList {
	had := sets.New[string]()
	for _, g := range old {
		had.Insert(g.Name)
	}
	var allErrs field.ErrorList
	for i, g := range gates {
		if !had.Has(g.Name) {
			allErrs = append(allErrs, field.Forbidden(fldPath.Index(i).Child("name"), fmt.Sprintf("only deletion is allowed, but found new scheduling gate '%s'", g.Name)))
		}
	}
	return allErrs
}
