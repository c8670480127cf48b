// Package policy registers policy/v1, whose Eviction kind is the body of
// the pods/eviction subresource.
package policy

import (
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers policy/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	return hub.Register(scheme, policyv1.SchemeGroupVersion, policyv1.AddToScheme, &policyv1.Eviction{})
}
