// Package quota measures what objects cost against a ResourceQuota, for
// both the ResourceQuota admission plugin of k8s.io/apiserver and the
// resource quota controller: pods (count, cpu, memory and
// ephemeral-storage requests and limits, with upstream's scopes), services
// (count, node ports, load balancers), persistent volume claims (count,
// requested storage, per storage class) and object counts for the rest
// (configmaps, secrets, replicationcontrollers, resourcequotas and
// count/<resource>.<group>).
package quota

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
)

// Evaluators are the core evaluators, listing objects through listers.
func Evaluators(listers quota.ListerForResourceFunc) []quota.Evaluator {
	list := func(resource string) generic.ListFuncByNamespace {
		return generic.ListResourceUsingListerFunc(listers, corev1.SchemeGroupVersion.WithResource(resource))
	}
	evaluators := []quota.Evaluator{
		&podEvaluator{list: list("pods")},
		&serviceEvaluator{list: list("services")},
		&claimEvaluator{list: list("persistentvolumeclaims")},
	}
	// The object counts with a legacy name besides count/<resource>.
	for _, resource := range []string{"configmaps", "secrets", "replicationcontrollers", "resourcequotas"} {
		evaluators = append(evaluators, generic.NewObjectCountEvaluator(schema.GroupResource{Resource: resource}, list(resource), corev1.ResourceName(resource)))
	}
	return evaluators
}

// Configuration is the quota configuration for admission and the
// controller: the core evaluators, nothing ignored beyond upstream's
// defaults (events, tokenreviews and the like are never counted).
func Configuration(listers quota.ListerForResourceFunc) quota.Configuration {
	ignored := map[schema.GroupResource]struct{}{
		{Resource: "events"}: {},
		{Group: "authentication.k8s.io", Resource: "tokenreviews"}:             {},
		{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"}:       {},
		{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"}:      {},
		{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}:  {},
		{Group: "authorization.k8s.io", Resource: "localsubjectaccessreviews"}: {},
		{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"}:   {},
	}
	return generic.NewConfiguration(Evaluators(listers), ignored)
}
