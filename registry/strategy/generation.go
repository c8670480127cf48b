package strategy

import (
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// TrackGeneration makes metadata.generation start at 1 and grow with every
// change of what desired returns, for kinds without a status subresource
// whose watchers still compare generations (webhook configurations, policy
// bindings). It takes over PrepareCreate and PrepareUpdate.
func TrackGeneration[T runtime.Object](s *Strategy[T], desired func(T) interface{}) {
	s.PrepareCreate = func(obj T) {
		m, _ := meta.Accessor(obj)
		m.SetGeneration(1)
	}
	s.PrepareUpdate = func(obj, old T) {
		m, _ := meta.Accessor(obj)
		oldMeta, _ := meta.Accessor(old)
		generation := oldMeta.GetGeneration()
		if !apiequality.Semantic.DeepEqual(desired(obj), desired(old)) {
			generation++
		}
		m.SetGeneration(generation)
	}
}
