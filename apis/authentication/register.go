// Package authentication registers the authentication.k8s.io group, whose
// only kybernetes resource is selfsubjectreviews (`kubectl auth whoami`).
package authentication

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers authentication.k8s.io/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	return hub.Register(scheme, authenticationv1.SchemeGroupVersion, authenticationv1.AddToScheme, &authenticationv1.SelfSubjectReview{})
}
