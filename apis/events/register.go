// Package events registers events.k8s.io/v1. Its events are the same stored
// objects as core/v1 events (as upstream): the hub type of the group is
// corev1.Event, and hand-written conversions map the events.k8s.io/v1 shape
// (regarding, note, deprecated* fields) onto it.
package events

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var internal = schema.GroupVersion{Group: eventsv1.GroupName, Version: runtime.APIVersionInternal}

// Install registers events.k8s.io/v1 with corev1.Event as its hub type.
func Install(scheme *runtime.Scheme) error {
	if err := eventsv1.AddToScheme(scheme); err != nil {
		return err
	}
	scheme.AddKnownTypes(internal, &corev1.Event{}, &corev1.EventList{})
	for _, add := range []func() error{
		func() error {
			return scheme.AddConversionFunc((*eventsv1.Event)(nil), (*corev1.Event)(nil), func(a, b interface{}, _ conversion.Scope) error {
				ToCore(a.(*eventsv1.Event), b.(*corev1.Event))
				return nil
			})
		},
		func() error {
			return scheme.AddConversionFunc((*corev1.Event)(nil), (*eventsv1.Event)(nil), func(a, b interface{}, _ conversion.Scope) error {
				FromCore(a.(*corev1.Event), b.(*eventsv1.Event))
				return nil
			})
		},
		func() error {
			return scheme.AddConversionFunc((*eventsv1.EventList)(nil), (*corev1.EventList)(nil), func(a, b interface{}, _ conversion.Scope) error {
				in, out := a.(*eventsv1.EventList), b.(*corev1.EventList)
				out.ListMeta = in.ListMeta
				out.Items = make([]corev1.Event, len(in.Items))
				for i := range in.Items {
					ToCore(&in.Items[i], &out.Items[i])
				}
				return nil
			})
		},
		func() error {
			return scheme.AddConversionFunc((*corev1.EventList)(nil), (*eventsv1.EventList)(nil), func(a, b interface{}, _ conversion.Scope) error {
				in, out := a.(*corev1.EventList), b.(*eventsv1.EventList)
				out.ListMeta = in.ListMeta
				out.Items = make([]eventsv1.Event, len(in.Items))
				for i := range in.Items {
					FromCore(&in.Items[i], &out.Items[i])
				}
				return nil
			})
		},
		func() error { return addFieldLabelConversion(scheme) },
	} {
		if err := add(); err != nil {
			return err
		}
	}
	return scheme.SetVersionPriority(eventsv1.SchemeGroupVersion)
}

// ToCore maps an events.k8s.io/v1 event onto the core/v1 hub type.
func ToCore(in *eventsv1.Event, out *corev1.Event) {
	*out = corev1.Event{
		ObjectMeta:          in.ObjectMeta,
		InvolvedObject:      in.Regarding,
		Reason:              in.Reason,
		Message:             in.Note,
		Source:              in.DeprecatedSource,
		FirstTimestamp:      in.DeprecatedFirstTimestamp,
		LastTimestamp:       in.DeprecatedLastTimestamp,
		Count:               in.DeprecatedCount,
		Type:                in.Type,
		EventTime:           in.EventTime,
		Related:             in.Related,
		Action:              in.Action,
		ReportingController: in.ReportingController,
		ReportingInstance:   in.ReportingInstance,
	}
	if in.Series != nil {
		out.Series = &corev1.EventSeries{Count: in.Series.Count, LastObservedTime: in.Series.LastObservedTime}
	}
}

// FromCore maps a core/v1 event onto the events.k8s.io/v1 shape.
func FromCore(in *corev1.Event, out *eventsv1.Event) {
	*out = eventsv1.Event{
		ObjectMeta:               in.ObjectMeta,
		EventTime:                in.EventTime,
		ReportingController:      in.ReportingController,
		ReportingInstance:        in.ReportingInstance,
		Action:                   in.Action,
		Reason:                   in.Reason,
		Regarding:                in.InvolvedObject,
		Related:                  in.Related,
		Note:                     in.Message,
		Type:                     in.Type,
		DeprecatedSource:         in.Source,
		DeprecatedFirstTimestamp: in.FirstTimestamp,
		DeprecatedLastTimestamp:  in.LastTimestamp,
		DeprecatedCount:          in.Count,
	}
	if in.Series != nil {
		out.Series = &eventsv1.EventSeries{Count: in.Series.Count, LastObservedTime: in.Series.LastObservedTime}
	}
}

// fieldLabels maps events.k8s.io/v1 field-selector labels onto the core/v1
// labels that the stored objects answer to.
var fieldLabels = map[string]string{
	"metadata.name":                  "metadata.name",
	"metadata.namespace":             "metadata.namespace",
	"regarding.kind":                 "involvedObject.kind",
	"regarding.namespace":            "involvedObject.namespace",
	"regarding.name":                 "involvedObject.name",
	"regarding.uid":                  "involvedObject.uid",
	"regarding.apiVersion":           "involvedObject.apiVersion",
	"regarding.resourceVersion":      "involvedObject.resourceVersion",
	"regarding.fieldPath":            "involvedObject.fieldPath",
	"reason":                         "reason",
	"reportingController":            "reportingComponent",
	"type":                           "type",
	"deprecatedSource.component":     "source",
	"involvedObject.kind":            "involvedObject.kind",
	"involvedObject.namespace":       "involvedObject.namespace",
	"involvedObject.name":            "involvedObject.name",
	"involvedObject.uid":             "involvedObject.uid",
	"involvedObject.apiVersion":      "involvedObject.apiVersion",
	"involvedObject.resourceVersion": "involvedObject.resourceVersion",
	"involvedObject.fieldPath":       "involvedObject.fieldPath",
}

func addFieldLabelConversion(scheme *runtime.Scheme) error {
	return scheme.AddFieldLabelConversionFunc(eventsv1.SchemeGroupVersion.WithKind("Event"),
		func(label, value string) (string, string, error) {
			core, ok := fieldLabels[label]
			if !ok {
				return "", "", fmt.Errorf("field label not supported: %s", label)
			}
			return core, value, nil
		})
}
