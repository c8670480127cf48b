// Package events registers events.k8s.io/v1. Its events are the same stored
// objects as core/v1 events (as upstream): the hub type of the group is
// corev1.Event, and hand-written conversions map the events.k8s.io/v1 shape
// (regarding, note, deprecated* fields) onto it.
package events

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiconversion "k8s.io/apimachinery/pkg/conversion"
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
	for _, add := range []func(*runtime.Scheme) error{
		conversion(ToCore),
		conversion(FromCore),
		conversion(func(in *eventsv1.EventList, out *corev1.EventList) {
			out.ListMeta, out.Items = in.ListMeta, make([]corev1.Event, len(in.Items))
			for i := range in.Items {
				ToCore(&in.Items[i], &out.Items[i])
			}
		}),
		conversion(func(in *corev1.EventList, out *eventsv1.EventList) {
			out.ListMeta, out.Items = in.ListMeta, make([]eventsv1.Event, len(in.Items))
			for i := range in.Items {
				FromCore(&in.Items[i], &out.Items[i])
			}
		}),
		addFieldLabelConversion,
	} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	return scheme.SetVersionPriority(eventsv1.SchemeGroupVersion)
}

// conversion registers convert as the scheme's conversion from *A to *B.
func conversion[A, B any](convert func(*A, *B)) func(*runtime.Scheme) error {
	return func(scheme *runtime.Scheme) error {
		return scheme.AddConversionFunc((*A)(nil), (*B)(nil), func(a, b interface{}, _ apiconversion.Scope) error {
			convert(a.(*A), b.(*B))
			return nil
		})
	}
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
