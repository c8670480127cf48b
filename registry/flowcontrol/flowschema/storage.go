// Package flowschema serves flowcontrol.apiserver.k8s.io/v1 flowschemas.
package flowschema

import (
	"context"
	"sort"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kybernetes/kybernetes/apis/flowcontrol"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// NewREST returns the storage and its status subresource, written by the
// server's own APF controller (the Dangling condition).
func NewREST(optsGetter generic.RESTOptionsGetter) (*genericregistry.Store, *strategy.StatusREST, error) {
	s := strategy.New[*flowcontrolv1.FlowSchema](scheme.Scheme, false)
	s.ValidateObject = flowcontrol.ValidateFlowSchema
	s.ValidateObjectUpdate = flowcontrol.ValidateFlowSchemaUpdate
	status := s.SplitStatus("flowcontrol.apiserver.k8s.io/v1", true)
	status.ValidateObjectUpdate = flowcontrol.ValidateFlowSchemaStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   flowcontrolv1.Resource("flowschemas"),
		Singular: flowcontrolv1.Resource("flowschema"),
		New:      func() runtime.Object { return &flowcontrolv1.FlowSchema{} },
		NewList:  func() runtime.Object { return &flowcontrolv1.FlowSchemaList{} },
		Table:    byPrecedence{table},
	})
	if err != nil {
		return nil, nil, err
	}
	return store, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "PriorityLevel", Type: "string", Description: flowcontrolv1.PriorityLevelConfigurationReference{}.SwaggerDoc()["name"]},
	{Name: "MatchingPrecedence", Type: "string", Description: flowcontrolv1.FlowSchemaSpec{}.SwaggerDoc()["matchingPrecedence"]},
	{Name: "DistinguisherMethod", Type: "string", Description: flowcontrolv1.FlowSchemaSpec{}.SwaggerDoc()["distinguisherMethod"]},
	tables.Age,
	{Name: "MissingPL", Type: "string", Description: "references a broken or non-existent PriorityLevelConfiguration"},
}, func(fs *flowcontrolv1.FlowSchema) []interface{} {
	distinguisher := "<none>"
	if fs.Spec.DistinguisherMethod != nil {
		distinguisher = string(fs.Spec.DistinguisherMethod.Type)
	}
	missing := "?"
	for _, c := range fs.Status.Conditions {
		if c.Type == flowcontrolv1.FlowSchemaConditionDangling {
			missing = string(c.Status)
			break
		}
	}
	return []interface{}{fs.Name, fs.Spec.PriorityLevelConfiguration.Name, int64(fs.Spec.MatchingPrecedence), distinguisher, tables.Since(fs.CreationTimestamp), missing}
})

// byPrecedence lists schemas in the order they are matched (precedence,
// then name), as kubectl shows them upstream.
type byPrecedence struct{ rest.TableConvertor }

func (b byPrecedence) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	if list, ok := object.(*flowcontrolv1.FlowSchemaList); ok {
		sorted := list.DeepCopy()
		sort.SliceStable(sorted.Items, func(i, j int) bool {
			a, b := sorted.Items[i], sorted.Items[j]
			if a.Spec.MatchingPrecedence != b.Spec.MatchingPrecedence {
				return a.Spec.MatchingPrecedence < b.Spec.MatchingPrecedence
			}
			return a.Name < b.Name
		})
		object = sorted
	}
	return b.TableConvertor.ConvertToTable(ctx, object, tableOptions)
}
