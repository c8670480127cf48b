// Package hub registers k8s.io/api types as kybernetes' in-memory ("hub")
// types. Each served kind is known to the scheme under its external version
// and under the group's internal version with the very same Go type, so the
// apiserver's "convert to internal" step only resets TypeMeta. There are no
// internal type copies and no generated conversions (see DESIGN.md §3).
package hub

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Register adds the external types of one group version (through the
// package's own AddToScheme), then registers every kind whose Go type lives
// in the same package as sample also under the group's internal version.
// Kinds from k8s.io/apimachinery (ListOptions, WatchEvent, ...) that
// AddToScheme adds as well are left alone: their internal forms come from
// metainternalversion.
func Register(scheme *runtime.Scheme, gv schema.GroupVersion, addToScheme func(*runtime.Scheme) error, sample runtime.Object) error {
	if err := addToScheme(scheme); err != nil {
		return err
	}
	internal := schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}
	pkgPath := reflect.TypeOf(sample).Elem().PkgPath()
	for kind, t := range scheme.KnownTypes(gv) {
		if t.PkgPath() != pkgPath {
			continue
		}
		if _, exists := scheme.KnownTypes(internal)[kind]; exists {
			continue
		}
		scheme.AddKnownTypeWithName(internal.WithKind(kind), reflect.New(t).Interface().(runtime.Object))
	}
	return scheme.SetVersionPriority(gv)
}
