// Package fieldlabels registers which fields a kind's field selectors may
// name, beyond metadata.name and metadata.namespace that every kind has.
package fieldlabels

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Register lets field selectors on gvk name the extra labels.
func Register(scheme *runtime.Scheme, gvk schema.GroupVersionKind, extra ...string) error {
	allowed := map[string]bool{"metadata.name": true, "metadata.namespace": true}
	for _, l := range extra {
		allowed[l] = true
	}
	return scheme.AddFieldLabelConversionFunc(gvk, func(label, value string) (string, string, error) {
		if !allowed[label] {
			return "", "", fmt.Errorf("field label not supported: %s", label)
		}
		return label, value, nil
	})
}
