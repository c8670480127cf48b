// Package event serves core/v1 events.
package event

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// TTL is how long an event is kept after its last write, as kube-apiserver's
// default --event-ttl.
const TTL = 3600

// REST is the events resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get ev` work.
func (*REST) ShortNames() []string { return []string{"ev"} }

// NewREST returns the core/v1 events storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	store, err := NewStore(optsGetter, corev1.SchemeGroupVersion.Group, core.ValidateEvent, core.ValidateEventUpdate)
	return &REST{store}, err
}

// NewStore returns a store of events served in group, with the group's
// validation. core/v1 and events.k8s.io/v1 events are the same objects in
// etcd, stored as core/v1; every write renews an event's TTL.
func NewStore(optsGetter generic.RESTOptionsGetter, group string, validate func(*corev1.Event) field.ErrorList, validateUpdate func(ev, old *corev1.Event) field.ErrorList) (*genericregistry.Store, error) {
	s := strategy.New[*corev1.Event](scheme.Scheme, true)
	s.ValidateObject = validate
	s.ValidateObjectUpdate = validateUpdate
	s.CreateOnUpdate = true
	s.Fields = core.EventFields
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   schema.GroupResource{Group: group, Resource: "events"},
		Singular: schema.GroupResource{Group: group, Resource: "event"},
		New:      func() runtime.Object { return &corev1.Event{} },
		NewList:  func() runtime.Object { return &corev1.EventList{} },
		Table:    table,
	})
	if err != nil {
		return nil, err
	}
	store.TTLFunc = func(runtime.Object, uint64, bool) (uint64, error) { return TTL, nil }
	return store, nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	{Name: "Last Seen", Type: "string", Description: corev1.Event{}.SwaggerDoc()["lastTimestamp"]},
	{Name: "Type", Type: "string", Description: corev1.Event{}.SwaggerDoc()["type"]},
	{Name: "Reason", Type: "string", Description: corev1.Event{}.SwaggerDoc()["reason"]},
	{Name: "Object", Type: "string", Description: corev1.Event{}.SwaggerDoc()["involvedObject"]},
	{Name: "Subobject", Type: "string", Priority: 1, Description: corev1.ObjectReference{}.SwaggerDoc()["fieldPath"]},
	{Name: "Source", Type: "string", Priority: 1, Description: corev1.Event{}.SwaggerDoc()["source"]},
	{Name: "Message", Type: "string", Description: corev1.Event{}.SwaggerDoc()["message"]},
	{Name: "First Seen", Type: "string", Priority: 1, Description: corev1.Event{}.SwaggerDoc()["firstTimestamp"]},
	{Name: "Count", Type: "integer", Priority: 1, Description: corev1.Event{}.SwaggerDoc()["count"]},
	{Name: "Name", Type: "string", Priority: 1, Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
}, func(ev *corev1.Event) []interface{} {
	firstSeen, lastSeen := ev.FirstTimestamp, ev.LastTimestamp
	count := ev.Count
	if ev.Series != nil {
		lastSeen = metav1.Time{Time: ev.Series.LastObservedTime.Time}
		count = ev.Series.Count
	}
	if firstSeen.IsZero() {
		firstSeen = metav1.Time{Time: ev.EventTime.Time}
	}
	if lastSeen.IsZero() {
		lastSeen = firstSeen
	}
	object := fmt.Sprintf("%s/%s", strings.ToLower(ev.InvolvedObject.Kind), ev.InvolvedObject.Name)
	return []interface{}{
		tables.Since(lastSeen), ev.Type, ev.Reason, object, ev.InvolvedObject.FieldPath,
		eventSource(ev), strings.TrimSpace(ev.Message), tables.Since(firstSeen), int64(count), ev.Name,
	}
})

// eventSource prints "component, host" the way kubectl does, falling back to
// the reporting controller of events.k8s.io-style events.
func eventSource(ev *corev1.Event) string {
	component, host := ev.Source.Component, ev.Source.Host
	if component == "" {
		component, host = ev.ReportingController, ev.ReportingInstance
	}
	if host == "" {
		return component
	}
	return component + ", " + host
}
