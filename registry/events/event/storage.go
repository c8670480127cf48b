// Package event serves events.k8s.io/v1 events: the core/v1 events under
// their newer shape, validated by the rules upstream holds new events to.
package event

import (
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/events"
	coreevent "github.com/kybernetes/kybernetes/registry/core/event"
)

// REST is the events.k8s.io events resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get ev` work for this group as well.
func (*REST) ShortNames() []string { return []string{"ev"} }

// NewREST returns the events.k8s.io/v1 events storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	store, err := coreevent.NewStore(optsGetter, eventsv1.GroupName, events.ValidateEvent, events.ValidateEventUpdate)
	return &REST{store}, err
}
