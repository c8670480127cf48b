// Package authorization registers authorization.k8s.io, the access review
// APIs (`kubectl auth can-i`), which are created and answered, never
// stored.
package authorization

import (
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers authorization.k8s.io/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	return hub.Register(scheme, authorizationv1.SchemeGroupVersion, authorizationv1.AddToScheme, &authorizationv1.SubjectAccessReview{})
}
