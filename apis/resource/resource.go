// Package resource holds the scheme registration, defaults and validation
// of resource.k8s.io/v1, dynamic resource allocation (DeviceClasses,
// ResourceClaims, ResourceClaimTemplates, ResourceSlices,
// DeviceTaintRules), on the k8s.io/api types.
//
// Validation covers what keeps objects usable by the scheduler and
// drivers: names, the shape of requests (exactly one of exactly and
// firstAvailable, allocation modes and counts, references between
// requests, constraints and configuration), the node selection of a
// slice, taints and tolerations, upstream's size limits and immutable
// fields. CEL selector expressions are bounded in length but not compiled
// here; a broken one fails when the scheduler evaluates it.
package resource

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/fieldlabels"
	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers resource.k8s.io/v1 as external and hub version, with
// upstream's defaults and the field selectors of ResourceSlices.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, resourcev1.SchemeGroupVersion, resourcev1.AddToScheme, &resourcev1.DeviceClass{}); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&resourcev1.ResourceClaim{}, func(obj interface{}) {
		defaultClaimSpec(&obj.(*resourcev1.ResourceClaim).Spec)
	})
	scheme.AddTypeDefaultingFunc(&resourcev1.ResourceClaimTemplate{}, func(obj interface{}) {
		defaultClaimSpec(&obj.(*resourcev1.ResourceClaimTemplate).Spec.Spec)
	})
	scheme.AddTypeDefaultingFunc(&resourcev1.ResourceSlice{}, func(obj interface{}) {
		for i := range obj.(*resourcev1.ResourceSlice).Spec.Devices {
			for j := range obj.(*resourcev1.ResourceSlice).Spec.Devices[i].Taints {
				defaultTaint(&obj.(*resourcev1.ResourceSlice).Spec.Devices[i].Taints[j])
			}
		}
	})
	scheme.AddTypeDefaultingFunc(&resourcev1.DeviceTaintRule{}, func(obj interface{}) {
		defaultTaint(&obj.(*resourcev1.DeviceTaintRule).Spec.Taint)
	})
	return fieldlabels.Register(scheme, resourcev1.SchemeGroupVersion.WithKind("ResourceSlice"), SliceFields)
}

// SliceFields are the field selectors of ResourceSlices, as upstream's
// (kubelets and drivers list their own slices with them).
func SliceFields(slice *resourcev1.ResourceSlice) fields.Set {
	return fields.Set{
		resourcev1.ResourceSliceSelectorNodeName: ptr.Deref(slice.Spec.NodeName, ""),
		resourcev1.ResourceSliceSelectorDriver:   slice.Spec.Driver,
		"spec.pool.name":                         slice.Spec.Pool.Name,
	}
}

// defaultClaimSpec: a request asks for exactly one device unless it says
// otherwise; tolerations compare values (Equal).
func defaultClaimSpec(spec *resourcev1.ResourceClaimSpec) {
	for i := range spec.Devices.Requests {
		r := &spec.Devices.Requests[i]
		if r.Exactly != nil {
			defaultCount(&r.Exactly.AllocationMode, &r.Exactly.Count)
			defaultTolerations(r.Exactly.Tolerations)
		}
		for j := range r.FirstAvailable {
			defaultCount(&r.FirstAvailable[j].AllocationMode, &r.FirstAvailable[j].Count)
			defaultTolerations(r.FirstAvailable[j].Tolerations)
		}
	}
}

func defaultCount(mode *resourcev1.DeviceAllocationMode, count *int64) {
	if *mode == "" {
		*mode = resourcev1.DeviceAllocationModeExactCount
	}
	if *mode == resourcev1.DeviceAllocationModeExactCount && *count == 0 {
		*count = 1
	}
}

func defaultTolerations(tolerations []resourcev1.DeviceToleration) {
	for i := range tolerations {
		if tolerations[i].Operator == "" {
			tolerations[i].Operator = resourcev1.DeviceTolerationOpEqual
		}
	}
}

func defaultTaint(taint *resourcev1.DeviceTaint) {
	if taint.TimeAdded == nil {
		taint.TimeAdded = &metav1.Time{Time: time.Now().Truncate(time.Second)}
	}
}

var (
	allocationModes = sets.New(resourcev1.DeviceAllocationModeExactCount, resourcev1.DeviceAllocationModeAll)
	taintEffects    = sets.New(resourcev1.DeviceTaintEffectNone, resourcev1.DeviceTaintEffectNoSchedule, resourcev1.DeviceTaintEffectNoExecute)
	// A toleration may name no effect (all of them), but not None.
	tolerationEffects   = sets.New(resourcev1.DeviceTaintEffect(""), resourcev1.DeviceTaintEffectNoSchedule, resourcev1.DeviceTaintEffectNoExecute)
	tolerationOperators = sets.New(resourcev1.DeviceTolerationOpEqual, resourcev1.DeviceTolerationOpExists)
)

func validateMeta(meta *metav1.ObjectMeta, namespaced bool) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMeta(meta, namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

func immutable(value, old interface{}, path *field.Path) field.ErrorList {
	if apiequality.Semantic.DeepEqual(value, old) {
		return nil
	}
	return field.ErrorList{field.Invalid(path, value, apimachineryvalidation.FieldImmutableErrorMsg)}
}

// ValidateDeviceClass checks a class's selectors, configuration and
// extended resource name.
func ValidateDeviceClass(class *resourcev1.DeviceClass) field.ErrorList {
	allErrs := validateMeta(&class.ObjectMeta, false)
	spec := field.NewPath("spec")
	allErrs = append(allErrs, validateSelectors(class.Spec.Selectors, spec.Child("selectors"))...)
	if len(class.Spec.Config) > resourcev1.DeviceConfigMaxSize {
		allErrs = append(allErrs, field.TooMany(spec.Child("config"), len(class.Spec.Config), resourcev1.DeviceConfigMaxSize))
	}
	for i, c := range class.Spec.Config {
		allErrs = append(allErrs, validateOpaque(c.Opaque, spec.Child("config").Index(i).Child("opaque"))...)
	}
	if name := class.Spec.ExtendedResourceName; name != nil {
		for _, msg := range validation.IsQualifiedName(*name) {
			allErrs = append(allErrs, field.Invalid(spec.Child("extendedResourceName"), *name, msg))
		}
		if !strings.Contains(*name, "/") || strings.HasPrefix(*name, corev1.ResourceDefaultNamespacePrefix) {
			allErrs = append(allErrs, field.Invalid(spec.Child("extendedResourceName"), *name, "must be an extended resource name (a domain-prefixed name outside kubernetes.io/)"))
		}
	}
	return allErrs
}

// ValidateDeviceClassUpdate checks the new class; classes may change.
func ValidateDeviceClassUpdate(class, old *resourcev1.DeviceClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&class.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateDeviceClass(class)...)
}

// ValidateResourceClaim checks a claim and its requests.
func ValidateResourceClaim(claim *resourcev1.ResourceClaim) field.ErrorList {
	allErrs := validateMeta(&claim.ObjectMeta, true)
	return append(allErrs, validateClaimSpec(&claim.Spec, field.NewPath("spec"))...)
}

// ValidateResourceClaimUpdate keeps the spec: what was asked for is what
// gets allocated.
func ValidateResourceClaimUpdate(claim, old *resourcev1.ResourceClaim) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&claim.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, immutable(claim.Spec, old.Spec, field.NewPath("spec"))...)
}

// ValidateResourceClaimStatusUpdate checks who a claim is reserved for and
// what was allocated.
func ValidateResourceClaimStatusUpdate(claim, old *resourcev1.ResourceClaim) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&claim.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	status := field.NewPath("status")
	if n := len(claim.Status.ReservedFor); n > resourcev1.ResourceClaimReservedForMaxSize {
		allErrs = append(allErrs, field.TooMany(status.Child("reservedFor"), n, resourcev1.ResourceClaimReservedForMaxSize))
	}
	seen := sets.New[string]()
	for i, ref := range claim.Status.ReservedFor {
		path := status.Child("reservedFor").Index(i)
		if ref.Resource == "" {
			allErrs = append(allErrs, field.Required(path.Child("resource"), ""))
		}
		if ref.Name == "" {
			allErrs = append(allErrs, field.Required(path.Child("name"), ""))
		}
		if ref.UID == "" {
			allErrs = append(allErrs, field.Required(path.Child("uid"), ""))
		} else if seen.Has(string(ref.UID)) {
			allErrs = append(allErrs, field.Duplicate(path, ref))
		}
		seen.Insert(string(ref.UID))
	}
	if len(claim.Status.ReservedFor) > 0 && claim.Status.Allocation == nil {
		allErrs = append(allErrs, field.Forbidden(status.Child("reservedFor"), "may not be set when the claim is not allocated"))
	}
	if old.Status.Allocation != nil && claim.Status.Allocation != nil {
		allErrs = append(allErrs, immutable(claim.Status.Allocation, old.Status.Allocation, status.Child("allocation"))...)
	}
	if claim.Status.Allocation != nil && old.Status.Allocation == nil && claim.DeletionTimestamp != nil {
		allErrs = append(allErrs, field.Forbidden(status.Child("allocation"), "new allocation is forbidden when deallocation is requested"))
	}
	if a := claim.Status.Allocation; a != nil {
		requests := requestNames(&claim.Spec.Devices)
		for i, r := range a.Devices.Results {
			path := status.Child("allocation", "devices", "results").Index(i)
			if !requests.Has(r.Request) && !requests.Has(strings.Split(r.Request, "/")[0]) {
				allErrs = append(allErrs, field.Invalid(path.Child("request"), r.Request, "must be the name of a request in the claim or the name of a request and its subrequest separated with /"))
			}
			allErrs = append(allErrs, validateDNSSubdomain(r.Driver, path.Child("driver"))...)
			allErrs = append(allErrs, validatePoolName(r.Pool, path.Child("pool"))...)
			allErrs = append(allErrs, validateDNSLabel(r.Device, path.Child("device"))...)
		}
	}
	return allErrs
}

// ValidateResourceClaimTemplate checks the claim a template stamps out.
func ValidateResourceClaimTemplate(template *resourcev1.ResourceClaimTemplate) field.ErrorList {
	allErrs := validateMeta(&template.ObjectMeta, true)
	return append(allErrs, validateClaimSpec(&template.Spec.Spec, field.NewPath("spec", "spec"))...)
}

// ValidateResourceClaimTemplateUpdate keeps the template's spec.
func ValidateResourceClaimTemplateUpdate(template, old *resourcev1.ResourceClaimTemplate) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&template.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, immutable(template.Spec, old.Spec, field.NewPath("spec"))...)
}

func validateClaimSpec(spec *resourcev1.ResourceClaimSpec, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	devices := path.Child("devices")
	requests := devices.Child("requests")
	if n := len(spec.Devices.Requests); n > resourcev1.DeviceRequestsMaxSize {
		allErrs = append(allErrs, field.TooMany(requests, n, resourcev1.DeviceRequestsMaxSize))
	}
	names := sets.New[string]()
	for i, r := range spec.Devices.Requests {
		p := requests.Index(i)
		allErrs = append(allErrs, validateDNSLabel(r.Name, p.Child("name"))...)
		if names.Has(r.Name) {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), r.Name))
		}
		names.Insert(r.Name)
		switch {
		case r.Exactly != nil && len(r.FirstAvailable) > 0:
			allErrs = append(allErrs, field.Invalid(p, nil, "exactly one of `exactly` or `firstAvailable` is required, but multiple fields are set"))
		case r.Exactly != nil:
			allErrs = append(allErrs, validateExactRequest(r.Exactly, p.Child("exactly"))...)
		case len(r.FirstAvailable) > 0:
			allErrs = append(allErrs, validateFirstAvailable(r.FirstAvailable, p.Child("firstAvailable"))...)
		default:
			allErrs = append(allErrs, field.Required(p, "exactly one of `exactly` or `firstAvailable` is required"))
		}
	}
	known := requestNames(&spec.Devices)
	if n := len(spec.Devices.Constraints); n > resourcev1.DeviceConstraintsMaxSize {
		allErrs = append(allErrs, field.TooMany(devices.Child("constraints"), n, resourcev1.DeviceConstraintsMaxSize))
	}
	for i, c := range spec.Devices.Constraints {
		p := devices.Child("constraints").Index(i)
		allErrs = append(allErrs, validateRequestRefs(c.Requests, known, p.Child("requests"))...)
		if c.MatchAttribute == nil && c.DistinctAttribute == nil {
			allErrs = append(allErrs, field.Required(p, "exactly one of `matchAttribute` or `distinctAttribute` is required"))
		}
		if c.MatchAttribute != nil && c.DistinctAttribute != nil {
			allErrs = append(allErrs, field.Invalid(p, nil, "exactly one of `matchAttribute` or `distinctAttribute` is required, but multiple fields are set"))
		}
		if a := c.MatchAttribute; a != nil {
			allErrs = append(allErrs, validateFullyQualifiedName(string(*a), p.Child("matchAttribute"))...)
		}
		if a := c.DistinctAttribute; a != nil {
			allErrs = append(allErrs, validateFullyQualifiedName(string(*a), p.Child("distinctAttribute"))...)
		}
	}
	if n := len(spec.Devices.Config); n > resourcev1.DeviceConfigMaxSize {
		allErrs = append(allErrs, field.TooMany(devices.Child("config"), n, resourcev1.DeviceConfigMaxSize))
	}
	for i, c := range spec.Devices.Config {
		p := devices.Child("config").Index(i)
		allErrs = append(allErrs, validateRequestRefs(c.Requests, known, p.Child("requests"))...)
		allErrs = append(allErrs, validateOpaque(c.Opaque, p.Child("opaque"))...)
	}
	return allErrs
}

// requestNames are the names a constraint or configuration may refer to:
// the requests, and "request/subrequest" for their alternatives.
func requestNames(claim *resourcev1.DeviceClaim) sets.Set[string] {
	names := sets.New[string]()
	for _, r := range claim.Requests {
		names.Insert(r.Name)
		for _, sub := range r.FirstAvailable {
			names.Insert(r.Name + "/" + sub.Name)
		}
	}
	return names
}

func validateRequestRefs(refs []string, known sets.Set[string], path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, ref := range refs {
		if !known.Has(ref) {
			allErrs = append(allErrs, field.Invalid(path.Index(i), ref, "must be the name of a request in the claim or the name of a request and its subrequest separated with '/'"))
		}
		if seen.Has(ref) {
			allErrs = append(allErrs, field.Duplicate(path.Index(i), ref))
		}
		seen.Insert(ref)
	}
	return allErrs
}

func validateExactRequest(r *resourcev1.ExactDeviceRequest, path *field.Path) field.ErrorList {
	allErrs := validateDeviceClassName(r.DeviceClassName, path.Child("deviceClassName"))
	allErrs = append(allErrs, validateSelectors(r.Selectors, path.Child("selectors"))...)
	allErrs = append(allErrs, validateAllocationMode(r.AllocationMode, r.Count, path)...)
	return append(allErrs, validateTolerations(r.Tolerations, path.Child("tolerations"))...)
}

func validateFirstAvailable(subs []resourcev1.DeviceSubRequest, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(subs) > resourcev1.FirstAvailableDeviceRequestMaxSize {
		allErrs = append(allErrs, field.TooMany(path, len(subs), resourcev1.FirstAvailableDeviceRequestMaxSize))
	}
	names := sets.New[string]()
	for i, sub := range subs {
		p := path.Index(i)
		allErrs = append(allErrs, validateDNSLabel(sub.Name, p.Child("name"))...)
		if names.Has(sub.Name) {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), sub.Name))
		}
		names.Insert(sub.Name)
		allErrs = append(allErrs, validateDeviceClassName(sub.DeviceClassName, p.Child("deviceClassName"))...)
		allErrs = append(allErrs, validateSelectors(sub.Selectors, p.Child("selectors"))...)
		allErrs = append(allErrs, validateAllocationMode(sub.AllocationMode, sub.Count, p)...)
		allErrs = append(allErrs, validateTolerations(sub.Tolerations, p.Child("tolerations"))...)
	}
	return allErrs
}

func validateDeviceClassName(name string, path *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	return validateDNSSubdomain(name, path)
}

func validateAllocationMode(mode resourcev1.DeviceAllocationMode, count int64, path *field.Path) field.ErrorList {
	switch mode {
	case resourcev1.DeviceAllocationModeAll:
		if count != 0 {
			return field.ErrorList{field.Invalid(path.Child("count"), count, fmt.Sprintf("must not be specified when allocationMode is '%s'", mode))}
		}
	case resourcev1.DeviceAllocationModeExactCount:
		if count <= 0 {
			return field.ErrorList{field.Invalid(path.Child("count"), count, "must be greater than zero")}
		}
	default:
		return field.ErrorList{field.NotSupported(path.Child("allocationMode"), mode, sets.List(allocationModes))}
	}
	return nil
}

func validateSelectors(selectors []resourcev1.DeviceSelector, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(selectors) > resourcev1.DeviceSelectorsMaxSize {
		allErrs = append(allErrs, field.TooMany(path, len(selectors), resourcev1.DeviceSelectorsMaxSize))
	}
	for i, s := range selectors {
		p := path.Index(i).Child("cel")
		switch {
		case s.CEL == nil:
			allErrs = append(allErrs, field.Required(p, ""))
		case strings.TrimSpace(s.CEL.Expression) == "":
			allErrs = append(allErrs, field.Required(p.Child("expression"), ""))
		case len(s.CEL.Expression) > resourcev1.CELSelectorExpressionMaxLength:
			allErrs = append(allErrs, field.TooLong(p.Child("expression"), "", resourcev1.CELSelectorExpressionMaxLength))
		}
	}
	return allErrs
}

func validateOpaque(opaque *resourcev1.OpaqueDeviceConfiguration, path *field.Path) field.ErrorList {
	if opaque == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	var allErrs field.ErrorList
	if opaque.Driver == "" {
		allErrs = append(allErrs, field.Required(path.Child("driver"), ""))
	} else {
		allErrs = append(allErrs, validateDNSSubdomain(opaque.Driver, path.Child("driver"))...)
	}
	switch raw := opaque.Parameters.Raw; {
	case len(raw) == 0:
		allErrs = append(allErrs, field.Required(path.Child("parameters"), ""))
	case len(raw) > resourcev1.OpaqueParametersMaxLength:
		allErrs = append(allErrs, field.TooLong(path.Child("parameters"), "", resourcev1.OpaqueParametersMaxLength))
	}
	return allErrs
}

func validateTolerations(tolerations []resourcev1.DeviceToleration, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, t := range tolerations {
		p := path.Index(i)
		if t.Key != "" {
			for _, msg := range validation.IsQualifiedName(t.Key) {
				allErrs = append(allErrs, field.Invalid(p.Child("key"), t.Key, msg))
			}
		}
		switch t.Operator {
		case resourcev1.DeviceTolerationOpExists:
			if t.Value != "" {
				allErrs = append(allErrs, field.Invalid(p.Child("value"), t.Value, "must be empty for operator `Exists`"))
			}
		case resourcev1.DeviceTolerationOpEqual:
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				allErrs = append(allErrs, field.Invalid(p.Child("value"), t.Value, msg))
			}
		default:
			allErrs = append(allErrs, field.NotSupported(p.Child("operator"), t.Operator, sets.List(tolerationOperators)))
		}
		if !tolerationEffects.Has(t.Effect) {
			allErrs = append(allErrs, field.NotSupported(p.Child("effect"), t.Effect, []string{string(resourcev1.DeviceTaintEffectNoSchedule), string(resourcev1.DeviceTaintEffectNoExecute)}))
		}
	}
	return allErrs
}

func validateTaint(taint resourcev1.DeviceTaint, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if taint.Key == "" {
		allErrs = append(allErrs, field.Required(path.Child("key"), ""))
	}
	for _, msg := range validation.IsQualifiedName(taint.Key) {
		if taint.Key != "" {
			allErrs = append(allErrs, field.Invalid(path.Child("key"), taint.Key, msg))
		}
	}
	for _, msg := range validation.IsValidLabelValue(taint.Value) {
		allErrs = append(allErrs, field.Invalid(path.Child("value"), taint.Value, msg))
	}
	switch {
	case taint.Effect == "":
		allErrs = append(allErrs, field.Required(path.Child("effect"), ""))
	case !taintEffects.Has(taint.Effect):
		allErrs = append(allErrs, field.NotSupported(path.Child("effect"), taint.Effect, sets.List(taintEffects)))
	}
	return allErrs
}

// ValidateResourceSlice checks a slice's driver, pool, node selection and
// devices.
func ValidateResourceSlice(slice *resourcev1.ResourceSlice) field.ErrorList {
	allErrs := validateMeta(&slice.ObjectMeta, false)
	spec := field.NewPath("spec")
	if slice.Spec.Driver == "" {
		allErrs = append(allErrs, field.Required(spec.Child("driver"), ""))
	} else {
		allErrs = append(allErrs, validateDNSSubdomain(slice.Spec.Driver, spec.Child("driver"))...)
	}
	pool := spec.Child("pool")
	allErrs = append(allErrs, validatePoolName(slice.Spec.Pool.Name, pool.Child("name"))...)
	if slice.Spec.Pool.Generation < 0 {
		allErrs = append(allErrs, field.Invalid(pool.Child("generation"), slice.Spec.Pool.Generation, "must be greater than or equal to zero"))
	}
	if slice.Spec.Pool.ResourceSliceCount <= 0 {
		allErrs = append(allErrs, field.Invalid(pool.Child("resourceSliceCount"), slice.Spec.Pool.ResourceSliceCount, "must be greater than zero"))
	}
	selections := 0
	if slice.Spec.NodeName != nil {
		selections++
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(*slice.Spec.NodeName, false) {
			allErrs = append(allErrs, field.Invalid(spec.Child("nodeName"), *slice.Spec.NodeName, msg))
		}
	}
	if slice.Spec.NodeSelector != nil {
		selections++
		if len(slice.Spec.NodeSelector.NodeSelectorTerms) == 0 {
			allErrs = append(allErrs, field.Required(spec.Child("nodeSelector", "nodeSelectorTerms"), "must have at least one node selector term"))
		}
	}
	if ptr.Deref(slice.Spec.AllNodes, false) {
		selections++
	}
	if ptr.Deref(slice.Spec.PerDeviceNodeSelection, false) {
		selections++
	}
	switch {
	case selections == 0:
		allErrs = append(allErrs, field.Required(spec, "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required"))
	case selections > 1:
		allErrs = append(allErrs, field.Invalid(spec, nil, "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required, but multiple fields are set"))
	}
	devices := spec.Child("devices")
	if n := len(slice.Spec.Devices); n > resourcev1.ResourceSliceMaxDevices {
		allErrs = append(allErrs, field.TooMany(devices, n, resourcev1.ResourceSliceMaxDevices))
	}
	names := sets.New[string]()
	for i, d := range slice.Spec.Devices {
		p := devices.Index(i)
		allErrs = append(allErrs, validateDNSLabel(d.Name, p.Child("name"))...)
		if names.Has(d.Name) {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), d.Name))
		}
		names.Insert(d.Name)
		if n := len(d.Attributes) + len(d.Capacity); n > resourcev1.ResourceSliceMaxAttributesAndCapacitiesPerDevice {
			allErrs = append(allErrs, field.Invalid(p, n, fmt.Sprintf("the total number of attributes and capacities must not exceed %d", resourcev1.ResourceSliceMaxAttributesAndCapacitiesPerDevice)))
		}
		for name := range d.Attributes {
			allErrs = append(allErrs, validateQualifiedName(string(name), p.Child("attributes").Key(string(name)))...)
		}
		for name := range d.Capacity {
			allErrs = append(allErrs, validateQualifiedName(string(name), p.Child("capacity").Key(string(name)))...)
		}
		for j, taint := range d.Taints {
			allErrs = append(allErrs, validateTaint(taint, p.Child("taints").Index(j))...)
		}
		perDevice := d.NodeName != nil || d.NodeSelector != nil || d.AllNodes != nil
		if perDevice != ptr.Deref(slice.Spec.PerDeviceNodeSelection, false) {
			if perDevice {
				allErrs = append(allErrs, field.Invalid(p, nil, "`nodeName`, `nodeSelector` and `allNodes` of a device may only be set when `perDeviceNodeSelection` is true"))
			} else {
				allErrs = append(allErrs, field.Required(p, "exactly one of `nodeName`, `nodeSelector` or `allNodes` is required when `perDeviceNodeSelection` is true"))
			}
		}
	}
	return allErrs
}

// ValidateResourceSliceUpdate keeps the slice's driver and node.
func ValidateResourceSliceUpdate(slice, old *resourcev1.ResourceSlice) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&slice.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateResourceSlice(slice)...)
	allErrs = append(allErrs, immutable(slice.Spec.Driver, old.Spec.Driver, field.NewPath("spec", "driver"))...)
	return append(allErrs, immutable(slice.Spec.NodeName, old.Spec.NodeName, field.NewPath("spec", "nodeName"))...)
}

// ValidateDeviceTaintRule checks the taint and the device selector.
func ValidateDeviceTaintRule(rule *resourcev1.DeviceTaintRule) field.ErrorList {
	allErrs := validateMeta(&rule.ObjectMeta, false)
	spec := field.NewPath("spec")
	if s := rule.Spec.DeviceSelector; s != nil {
		p := spec.Child("deviceSelector")
		if s.Driver != nil {
			allErrs = append(allErrs, validateDNSSubdomain(*s.Driver, p.Child("driver"))...)
		}
		if s.Pool != nil {
			allErrs = append(allErrs, validatePoolName(*s.Pool, p.Child("pool"))...)
		}
		if s.Device != nil {
			allErrs = append(allErrs, validateDNSLabel(*s.Device, p.Child("device"))...)
		}
	}
	return append(allErrs, validateTaint(rule.Spec.Taint, spec.Child("taint"))...)
}

// ValidateDeviceTaintRuleUpdate checks the new rule; rules may change.
func ValidateDeviceTaintRuleUpdate(rule, old *resourcev1.DeviceTaintRule) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&rule.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateDeviceTaintRule(rule)...)
}

func validateDNSSubdomain(name string, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		allErrs = append(allErrs, field.Invalid(path, name, msg))
	}
	return allErrs
}

func validateDNSLabel(name string, path *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	var allErrs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		allErrs = append(allErrs, field.Invalid(path, name, msg))
	}
	return allErrs
}

// validatePoolName: DNS subdomains joined by slashes, as upstream.
func validatePoolName(name string, path *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	if len(name) > resourcev1.PoolNameMaxLength {
		return field.ErrorList{field.TooLong(path, "", resourcev1.PoolNameMaxLength)}
	}
	for _, part := range strings.Split(name, "/") {
		if errs := validation.IsDNS1123Subdomain(part); len(errs) > 0 {
			return field.ErrorList{field.Invalid(path, name, "each part of a pool name separated by / "+strings.Join(errs, "; "))}
		}
	}
	return nil
}

// validateQualifiedName: an attribute or capacity name, a C identifier
// optionally prefixed with a DNS subdomain and a slash.
func validateQualifiedName(name string, path *field.Path) field.ErrorList {
	domain, id, found := strings.Cut(name, "/")
	if !found {
		id, domain = domain, ""
	}
	var allErrs field.ErrorList
	if found {
		allErrs = append(allErrs, validateDNSSubdomain(domain, path)...)
	}
	if len(id) == 0 || len(id) > resourcev1.DeviceMaxIDLength {
		allErrs = append(allErrs, field.Invalid(path, name, fmt.Sprintf("the name after the domain must be a C identifier of at most %d characters", resourcev1.DeviceMaxIDLength)))
	} else {
		for _, msg := range validation.IsCIdentifier(id) {
			allErrs = append(allErrs, field.Invalid(path, name, msg))
		}
	}
	return allErrs
}

// validateFullyQualifiedName: a qualified name whose domain is required.
func validateFullyQualifiedName(name string, path *field.Path) field.ErrorList {
	if !strings.Contains(name, "/") {
		return field.ErrorList{field.Invalid(path, name, "must include a domain")}
	}
	return validateQualifiedName(name, path)
}
