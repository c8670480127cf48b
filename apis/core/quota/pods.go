package quota

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	resourcehelper "k8s.io/component-helpers/resource"

	"github.com/kybernetes/kybernetes/apis/core"
)

// podResources are what a pod is charged for.
var podResources = []corev1.ResourceName{
	corev1.ResourcePods, "count/pods",
	corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage,
}

// mustBeExplicit are the quota resources for which, as upstream keeps for
// compatibility, every container must state its own request or limit.
var mustBeExplicit = sets.New(corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceRequestsCPU,
	corev1.ResourceRequestsMemory, corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory)

type podEvaluator struct {
	list generic.ListFuncByNamespace
}

var _ quota.Evaluator = &podEvaluator{}

func (p *podEvaluator) GroupResource() schema.GroupResource { return corev1.Resource("pods") }

// Handles pod creation; updates cannot change what a pod is charged.
func (p *podEvaluator) Handles(a admission.Attributes) bool {
	return a.GetOperation() == admission.Create && a.GetSubresource() == ""
}

// Constraints refuses a pod whose containers leave out a request or limit
// that a quota on cpu or memory requires.
func (p *podEvaluator) Constraints(required []corev1.ResourceName, item runtime.Object) error {
	pod, ok := item.(*corev1.Pod)
	if !ok {
		return fmt.Errorf("unexpected object %T", item)
	}
	missing := sets.New[string]()
	check := func(c *corev1.Container) {
		for _, name := range required {
			if !mustBeExplicit.Has(name) {
				continue
			}
			list, base := c.Resources.Requests, name
			if strings.HasPrefix(string(name), "limits.") {
				list, base = c.Resources.Limits, corev1.ResourceName(strings.TrimPrefix(string(name), "limits."))
			} else {
				base = corev1.ResourceName(strings.TrimPrefix(string(name), "requests."))
			}
			if _, set := list[base]; !set {
				missing.Insert(string(name))
			}
		}
	}
	for i := range pod.Spec.InitContainers {
		check(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		check(&pod.Spec.Containers[i])
	}
	if missing.Len() == 0 {
		return nil
	}
	return fmt.Errorf("must specify %s", strings.Join(sets.List(missing), ","))
}

func (p *podEvaluator) Matches(q *corev1.ResourceQuota, item runtime.Object) (bool, error) {
	return generic.Matches(q, item, p.MatchingResources, podMatchesScope)
}

// MatchingResources are the fixed pod resources, hugepages
// (hugepages-<size>, requests.hugepages-<size>) and extended resources,
// which a quota names requests.<name> only (requests.example.com/gpu).
func (p *podEvaluator) MatchingResources(input []corev1.ResourceName) []corev1.ResourceName {
	result := quota.Intersection(input, podResources)
	for _, name := range input {
		if hugePages(name) || extendedRequest(name) {
			result = append(result, name)
		}
	}
	return result
}

func hugePages(name corev1.ResourceName) bool {
	return strings.HasPrefix(strings.TrimPrefix(string(name), corev1.DefaultResourceRequestsPrefix), corev1.ResourceHugePagesPrefix)
}

func extendedRequest(name corev1.ResourceName) bool {
	base, found := strings.CutPrefix(string(name), corev1.DefaultResourceRequestsPrefix)
	return found && core.IsExtendedResourceName(corev1.ResourceName(base))
}

func (p *podEvaluator) MatchingScopes(item runtime.Object, scopes []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	var matched []corev1.ScopedResourceSelectorRequirement
	for _, scope := range scopes {
		ok, err := podMatchesScope(scope, item)
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, scope)
		}
	}
	return matched, nil
}

// UncoveredQuotaScopes: no scopes are limited by configuration here.
func (p *podEvaluator) UncoveredQuotaScopes(_, _ []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return nil, nil
}

// Usage is what a pod that has not finished is charged: one pod and the
// effective requests and limits of its containers (init containers
// included, as the scheduler counts them). A finished pod costs nothing.
func (p *podEvaluator) Usage(item runtime.Object) (corev1.ResourceList, error) {
	pod, ok := item.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("unexpected object %T", item)
	}
	usage := corev1.ResourceList{}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return usage, nil
	}
	usage[corev1.ResourcePods] = resource.MustParse("1")
	usage["count/pods"] = resource.MustParse("1")
	requests := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	limits := resourcehelper.PodLimits(pod, resourcehelper.PodResourcesOptions{})
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if q, ok := requests[name]; ok {
			usage[name] = q
			usage[corev1.ResourceName("requests."+string(name))] = q
		}
		if q, ok := limits[name]; ok {
			usage[corev1.ResourceName("limits."+string(name))] = q
		}
	}
	for name, q := range requests {
		requested := corev1.ResourceName(corev1.DefaultResourceRequestsPrefix + string(name))
		switch {
		case strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix):
			usage[name], usage[requested] = q, q
		case core.IsExtendedResourceName(name):
			usage[requested] = q
		}
	}
	return usage, nil
}

func (p *podEvaluator) UsageStats(options quota.UsageStatsOptions) (quota.UsageStats, error) {
	return generic.CalculateUsageStats(options, p.list, podMatchesScope, p.Usage)
}

// podMatchesScope implements the pod scopes: Terminating (a pod with an
// activeDeadlineSeconds), NotTerminating, BestEffort (no requests or
// limits), NotBestEffort and PriorityClass.
func podMatchesScope(scope corev1.ScopedResourceSelectorRequirement, item runtime.Object) (bool, error) {
	pod, ok := item.(*corev1.Pod)
	if !ok {
		return false, fmt.Errorf("unexpected object %T", item)
	}
	switch scope.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0, nil
	case corev1.ResourceQuotaScopeNotTerminating:
		return pod.Spec.ActiveDeadlineSeconds == nil || *pod.Spec.ActiveDeadlineSeconds < 0, nil
	case corev1.ResourceQuotaScopeBestEffort:
		return bestEffort(pod), nil
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !bestEffort(pod), nil
	case corev1.ResourceQuotaScopePriorityClass:
		switch scope.Operator {
		case corev1.ScopeSelectorOpExists:
			return pod.Spec.PriorityClassName != "", nil
		case corev1.ScopeSelectorOpDoesNotExist:
			return pod.Spec.PriorityClassName == "", nil
		case corev1.ScopeSelectorOpIn:
			return slices.Contains(scope.Values, pod.Spec.PriorityClassName), nil
		case corev1.ScopeSelectorOpNotIn:
			return !slices.Contains(scope.Values, pod.Spec.PriorityClassName), nil
		}
	}
	return false, nil
}

// bestEffort: no container asks for or is limited in cpu or memory.
func bestEffort(pod *corev1.Pod) bool {
	containers := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range containers {
		for _, list := range []corev1.ResourceList{c.Resources.Requests, c.Resources.Limits} {
			for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := list[name]; ok {
					return false
				}
			}
		}
	}
	return true
}
