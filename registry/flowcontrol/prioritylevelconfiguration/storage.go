// Package prioritylevelconfiguration serves flowcontrol.apiserver.k8s.io/v1
// prioritylevelconfigurations.
package prioritylevelconfiguration

import (
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/flowcontrol"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// NewREST returns the storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*genericregistry.Store, *strategy.StatusREST, error) {
	s := strategy.New[*flowcontrolv1.PriorityLevelConfiguration](scheme.Scheme, false)
	s.ValidateObject = flowcontrol.ValidatePriorityLevelConfiguration
	s.ValidateObjectUpdate = flowcontrol.ValidatePriorityLevelConfigurationUpdate
	status := s.SplitStatus("flowcontrol.apiserver.k8s.io/v1", true)
	status.ValidateObjectUpdate = flowcontrol.ValidatePriorityLevelConfigurationStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   flowcontrolv1.Resource("prioritylevelconfigurations"),
		Singular: flowcontrolv1.Resource("prioritylevelconfiguration"),
		New:      func() runtime.Object { return &flowcontrolv1.PriorityLevelConfiguration{} },
		NewList:  func() runtime.Object { return &flowcontrolv1.PriorityLevelConfigurationList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return store, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Type", Type: "string", Description: flowcontrolv1.PriorityLevelConfigurationSpec{}.SwaggerDoc()["type"]},
	{Name: "NominalConcurrencyShares", Type: "string", Description: flowcontrolv1.LimitedPriorityLevelConfiguration{}.SwaggerDoc()["nominalConcurrencyShares"]},
	{Name: "Queues", Type: "string", Description: flowcontrolv1.QueuingConfiguration{}.SwaggerDoc()["queues"]},
	{Name: "HandSize", Type: "string", Description: flowcontrolv1.QueuingConfiguration{}.SwaggerDoc()["handSize"]},
	{Name: "QueueLengthLimit", Type: "string", Description: flowcontrolv1.QueuingConfiguration{}.SwaggerDoc()["queueLengthLimit"]},
	tables.Age,
}, func(pl *flowcontrolv1.PriorityLevelConfiguration) []interface{} {
	var shares, queues, handSize, queueLength interface{} = "<none>", "<none>", "<none>", "<none>"
	if l := pl.Spec.Limited; l != nil {
		if l.NominalConcurrencyShares != nil {
			shares = int64(*l.NominalConcurrencyShares)
		}
		if q := l.LimitResponse.Queuing; q != nil {
			queues, handSize, queueLength = int64(q.Queues), int64(q.HandSize), int64(q.QueueLengthLimit)
		}
	}
	return []interface{}{pl.Name, string(pl.Spec.Type), shares, queues, handSize, queueLength, tables.Since(pl.CreationTimestamp)}
})
