// Package core holds the scheme registration, defaulting, field-selector
// labels and validation of the core ("") API group, on the k8s.io/api types.
package core

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers core/v1 as the external and hub version of the core
// group, with its defaulting and field-selector conversions.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, corev1.SchemeGroupVersion, corev1.AddToScheme, &corev1.Pod{}); err != nil {
		return err
	}
	addDefaultingFuncs(scheme)
	if err := addQueryParameterConversions(scheme); err != nil {
		return err
	}
	return addFieldLabelConversions(scheme)
}
