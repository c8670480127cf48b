package strategy

import (
	"context"
	"reflect"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// part says which part of an object a strategy lets clients write.
type part int

const (
	wholeObject part = iota
	specOnly         // the main resource of a kind with a status subresource
	statusOnly       // its status subresource
)

// SplitStatus makes s the strategy of a main resource whose status is
// written through a status subresource, and returns that subresource's
// strategy. The main resource starts objects with an empty status and keeps
// the stored status on update; the status strategy keeps everything but
// status (and managedFields) as stored. The kind must have Spec and Status
// fields. With trackGeneration, metadata.generation starts at 1 and grows
// with every change of spec, as for upstream's workload kinds.
func (s *Strategy[T]) SplitStatus(apiVersion string, trackGeneration bool) *Strategy[T] {
	s.writes = specOnly
	s.trackGeneration = trackGeneration
	s.ResetFields = map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(apiVersion): fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
	}
	status := *s
	status.writes = statusOnly
	status.PrepareCreate, status.PrepareUpdate = nil, nil
	status.ResetFields = map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(apiVersion): fieldpath.NewSet(fieldpath.MakePathOrDie("spec")),
	}
	return &status
}

// StatusMetadata says what of an object's metadata a write through its
// status subresource may change. Upstream differs by kind: the older kinds
// keep every metadata change (the kubelet patches node labels through
// nodes/status), the apps/v1 workloads keep all but labels, newer kinds
// keep none.
type StatusMetadata int

const (
	// StatusKeepsMetadata keeps labels, annotations and the rest.
	StatusKeepsMetadata StatusMetadata = iota
	// StatusKeepsMetadataButLabels resets labels to the stored ones.
	StatusKeepsMetadataButLabels
	// StatusKeepsNoMetadata resets labels, annotations, owner references
	// and finalizers (metav1.ResetObjectMetaForStatus).
	StatusKeepsNoMetadata
)

// SetStatusMetadata sets what a status write may change in metadata; s must
// be the strategy that SplitStatus returned.
func (s *Strategy[T]) SetStatusMetadata(m StatusMetadata) {
	s.statusMetadata = m
	if m == StatusKeepsMetadataButLabels {
		for version, set := range s.ResetFields {
			s.ResetFields[version] = set.Union(fieldpath.NewSet(fieldpath.MakePathOrDie("metadata", "labels")))
		}
	}
}

// KeepStatusOnCreate lets a create set status on a split kind; updates
// of the main resource still keep the stored status. Upstream allows this
// for nodes, whose kubelet registers them with their status.
func (s *Strategy[T]) KeepStatusOnCreate() { s.statusOnCreate = true }

// prepareCreate applies the status split before the kind's own preparation.
func (s *Strategy[T]) prepareCreate(obj runtime.Object) {
	if s.writes != specOnly {
		return
	}
	if !s.statusOnCreate {
		status := fieldOf(obj, "Status")
		status.Set(reflect.Zero(status.Type()))
	}
	if s.trackGeneration {
		m, _ := meta.Accessor(obj)
		m.SetGeneration(1)
	}
}

// prepareUpdate applies the status split before the kind's own preparation.
func (s *Strategy[T]) prepareUpdate(obj, old runtime.Object) {
	switch s.writes {
	case specOnly:
		fieldOf(obj, "Status").Set(fieldOf(old, "Status"))
		if s.trackGeneration {
			m, _ := meta.Accessor(obj)
			oldMeta, _ := meta.Accessor(old)
			generation := oldMeta.GetGeneration()
			if !apiequality.Semantic.DeepEqual(fieldOf(obj, "Spec").Interface(), fieldOf(old, "Spec").Interface()) {
				generation++
			}
			m.SetGeneration(generation)
		}
	case statusOnly:
		fieldOf(obj, "Spec").Set(fieldOf(old, "Spec"))
		m, _ := meta.Accessor(obj)
		oldMeta, _ := meta.Accessor(old)
		switch s.statusMetadata {
		case StatusKeepsMetadataButLabels:
			m.SetLabels(oldMeta.GetLabels())
		case StatusKeepsNoMetadata:
			metav1.ResetObjectMetaForStatus(m, oldMeta)
		}
	}
}

func fieldOf(obj runtime.Object, name string) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName(name)
}

// StatusREST is the status subresource of a resource: get, and update of
// status only.
type StatusREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Getter  = &StatusREST{}
	_ rest.Updater = &StatusREST{}
)

// NewStatusREST serves status for store through the status strategy that
// SplitStatus returned.
func NewStatusREST[T runtime.Object](store *genericregistry.Store, status *Strategy[T]) *StatusREST {
	statusStore := *store
	statusStore.CreateStrategy = nil
	statusStore.DeleteStrategy = nil
	statusStore.UpdateStrategy = status
	statusStore.ResetFieldsStrategy = status
	return &StatusREST{store: &statusStore}
}

func (r *StatusREST) New() runtime.Object { return r.store.New() }

func (r *StatusREST) Destroy() {}

func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update writes status; it never creates an object.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}
