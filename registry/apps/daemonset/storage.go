// Package daemonset serves apps/v1 daemonsets with their status subresource.
package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/apps"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the daemonsets resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get ds` work.
func (*REST) ShortNames() []string { return []string{"ds"} }

// Categories puts daemon sets in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// NewREST returns the daemonsets storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*appsv1.DaemonSet](scheme.Scheme, true)
	s.ValidateObject = apps.ValidateDaemonSet
	s.ValidateObjectUpdate = apps.ValidateDaemonSetUpdate
	status := s.SplitStatus("apps/v1", true)
	status.SetStatusMetadata(strategy.StatusKeepsMetadataButLabels)
	status.ValidateObjectUpdate = func(ds, old *appsv1.DaemonSet) field.ErrorList {
		st := ds.Status
		return apps.ValidateWorkloadStatus(map[string]int32{
			"currentNumberScheduled": st.CurrentNumberScheduled, "numberMisscheduled": st.NumberMisscheduled,
			"desiredNumberScheduled": st.DesiredNumberScheduled, "numberReady": st.NumberReady,
			"updatedNumberScheduled": st.UpdatedNumberScheduled, "numberAvailable": st.NumberAvailable,
			"numberUnavailable": st.NumberUnavailable,
		})
	}
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   appsv1.Resource("daemonsets"),
		Singular: appsv1.Resource("daemonset"),
		New:      func() runtime.Object { return &appsv1.DaemonSet{} },
		NewList:  func() runtime.Object { return &appsv1.DaemonSetList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Desired", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["desiredNumberScheduled"]},
	{Name: "Current", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["currentNumberScheduled"]},
	{Name: "Ready", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["numberReady"]},
	{Name: "Up-to-date", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["updatedNumberScheduled"]},
	{Name: "Available", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["numberAvailable"]},
	{Name: "Node Selector", Type: "string", Description: "The node selector of the pods the daemon set runs."},
	tables.Age,
	{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
	{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
	{Name: "Selector", Type: "string", Priority: 1, Description: appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"]},
}, func(ds *appsv1.DaemonSet) []interface{} {
	names, images := tables.Containers(&ds.Spec.Template.Spec)
	nodeSelector := "<none>"
	if len(ds.Spec.Template.Spec.NodeSelector) > 0 {
		nodeSelector = labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector)
	}
	st := ds.Status
	return []interface{}{ds.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled), int64(st.NumberReady),
		int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable), nodeSelector, tables.Since(ds.CreationTimestamp),
		names, images, tables.Selector(ds.Spec.Selector)}
})
