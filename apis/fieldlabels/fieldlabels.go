// Package fieldlabels keeps one source for the fields a kind's field
// selectors may name: the same function gives the storage each object's
// field values and gives the scheme the labels it accepts, so a selector the
// conversion allows is never one the storage cannot match.
package fieldlabels

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Register lets field selectors on gvk name metadata.name,
// metadata.namespace and every field selectable returns. The labels are read
// from selectable's answer for an empty object, so selectable must set every
// key whatever the object holds.
func Register[T any, PT interface {
	*T
	runtime.Object
}](scheme *runtime.Scheme, gvk schema.GroupVersionKind, selectable func(PT) fields.Set) error {
	return RegisterLabels(scheme, gvk, Labels(selectable)...)
}

// Labels lists the field labels selectable sets, sorted.
func Labels[T any, PT interface {
	*T
	runtime.Object
}](selectable func(PT) fields.Set) []string {
	var labels []string
	for l := range selectable(PT(new(T))) {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	return labels
}

// RegisterLabels lets field selectors on gvk name the extra labels besides
// metadata.name and metadata.namespace, for kinds whose storage has no
// selectable fields of its own.
func RegisterLabels(scheme *runtime.Scheme, gvk schema.GroupVersionKind, extra ...string) error {
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
