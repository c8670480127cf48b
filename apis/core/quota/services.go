package quota

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
)

var serviceResources = []corev1.ResourceName{
	corev1.ResourceServices, "count/services", corev1.ResourceServicesNodePorts, corev1.ResourceServicesLoadBalancers,
}

// serviceEvaluator charges a service one service, one load balancer if it
// is one, and a node port for each port that gets one.
type serviceEvaluator struct {
	list generic.ListFuncByNamespace
}

func (s *serviceEvaluator) GroupResource() schema.GroupResource { return corev1.Resource("services") }

// Handles creates and updates: a type change changes the charge.
func (s *serviceEvaluator) Handles(a admission.Attributes) bool {
	op := a.GetOperation()
	return (op == admission.Create || op == admission.Update) && a.GetSubresource() == ""
}

func (s *serviceEvaluator) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

func (s *serviceEvaluator) Matches(q *corev1.ResourceQuota, item runtime.Object) (bool, error) {
	return generic.Matches(q, item, s.MatchingResources, generic.MatchesNoScopeFunc)
}

func (s *serviceEvaluator) MatchingResources(input []corev1.ResourceName) []corev1.ResourceName {
	return quota.Intersection(input, serviceResources)
}

func (s *serviceEvaluator) MatchingScopes(runtime.Object, []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return nil, nil
}

func (s *serviceEvaluator) UncoveredQuotaScopes(_, _ []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return nil, nil
}

func (s *serviceEvaluator) Usage(item runtime.Object) (corev1.ResourceList, error) {
	svc, ok := item.(*corev1.Service)
	if !ok {
		return nil, fmt.Errorf("unexpected object %T", item)
	}
	usage := corev1.ResourceList{corev1.ResourceServices: resource.MustParse("1"), "count/services": resource.MustParse("1")}
	nodePorts := int64(0)
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		nodePorts = int64(len(svc.Spec.Ports))
	case corev1.ServiceTypeLoadBalancer:
		usage[corev1.ResourceServicesLoadBalancers] = resource.MustParse("1")
		if svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts {
			nodePorts = int64(len(svc.Spec.Ports))
		}
	}
	usage[corev1.ResourceServicesNodePorts] = *resource.NewQuantity(nodePorts, resource.DecimalSI)
	return usage, nil
}

func (s *serviceEvaluator) UsageStats(options quota.UsageStatsOptions) (quota.UsageStats, error) {
	return generic.CalculateUsageStats(options, s.list, generic.MatchesNoScopeFunc, s.Usage)
}

var claimResources = []corev1.ResourceName{corev1.ResourcePersistentVolumeClaims, "count/persistentvolumeclaims", corev1.ResourceRequestsStorage}

// storageClassSuffix forms the per-class names
// <class>.storageclass.storage.k8s.io/requests.storage and
// .../persistentvolumeclaims.
const storageClassSuffix = ".storageclass.storage.k8s.io/"

// claimEvaluator charges a claim one claim and its requested storage, in
// total and for its storage class.
type claimEvaluator struct {
	list generic.ListFuncByNamespace
}

func (c *claimEvaluator) GroupResource() schema.GroupResource {
	return corev1.Resource("persistentvolumeclaims")
}

func (c *claimEvaluator) Handles(a admission.Attributes) bool {
	op := a.GetOperation()
	return (op == admission.Create || op == admission.Update) && a.GetSubresource() == ""
}

func (c *claimEvaluator) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

func (c *claimEvaluator) Matches(q *corev1.ResourceQuota, item runtime.Object) (bool, error) {
	return generic.Matches(q, item, c.MatchingResources, generic.MatchesNoScopeFunc)
}

func (c *claimEvaluator) MatchingResources(input []corev1.ResourceName) []corev1.ResourceName {
	var out []corev1.ResourceName
	for _, name := range input {
		if quota.Contains(claimResources, name) || strings.Contains(string(name), storageClassSuffix) {
			out = append(out, name)
		}
	}
	return out
}

func (c *claimEvaluator) MatchingScopes(runtime.Object, []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return nil, nil
}

func (c *claimEvaluator) UncoveredQuotaScopes(_, _ []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return nil, nil
}

func (c *claimEvaluator) Usage(item runtime.Object) (corev1.ResourceList, error) {
	claim, ok := item.(*corev1.PersistentVolumeClaim)
	if !ok {
		return nil, fmt.Errorf("unexpected object %T", item)
	}
	one := resource.MustParse("1")
	usage := corev1.ResourceList{corev1.ResourcePersistentVolumeClaims: one, "count/persistentvolumeclaims": one}
	class := ""
	if claim.Spec.StorageClassName != nil {
		class = *claim.Spec.StorageClassName
	}
	if class != "" {
		usage[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourcePersistentVolumeClaims))] = one
	}
	if storage, ok := claim.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		usage[corev1.ResourceRequestsStorage] = storage
		if class != "" {
			usage[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourceRequestsStorage))] = storage
		}
	}
	return usage, nil
}

func (c *claimEvaluator) UsageStats(options quota.UsageStatsOptions) (quota.UsageStats, error) {
	return generic.CalculateUsageStats(options, c.list, generic.MatchesNoScopeFunc, c.Usage)
}
