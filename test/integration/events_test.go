package integration

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// core/v1 and events.k8s.io/v1 events are the same stored objects.
func TestEventsAreSharedBetweenGroups(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	newStyle, err := shared.Client.EventsV1().Events(ns).Create(ctx, &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "scheduled"},
		EventTime:           metav1.NewMicroTime(time.Now()),
		ReportingController: "example.com/scheduler",
		ReportingInstance:   "scheduler-1",
		Action:              "Binding",
		Reason:              "Scheduled",
		Regarding:           corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: ns},
		Note:                "assigned to node-a",
		Type:                corev1.EventTypeNormal,
		Series:              &eventsv1.EventSeries{Count: 2, LastObservedTime: metav1.NewMicroTime(time.Now())},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := shared.Client.CoreV1().Events(ns).Get(ctx, "scheduled", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if legacy.Message != "assigned to node-a" || legacy.InvolvedObject.Name != "web" || legacy.ReportingController != "example.com/scheduler" ||
		legacy.Series == nil || legacy.Series.Count != 2 || legacy.ResourceVersion != newStyle.ResourceVersion {
		t.Fatalf("the core/v1 view of an events.k8s.io event: %+v", legacy)
	}

	_, err = shared.Client.CoreV1().Events(ns).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "legacy"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "db", Namespace: ns},
		Reason:         "Pulled", Message: "image pulled", Count: 3,
		Source: corev1.EventSource{Component: "kubelet", Host: "node-b"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	converted, err := shared.Client.EventsV1().Events(ns).Get(ctx, "legacy", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if converted.Note != "image pulled" || converted.Regarding.Name != "db" || converted.DeprecatedCount != 3 || converted.DeprecatedSource.Host != "node-b" {
		t.Fatalf("the events.k8s.io view of a core event: %+v", converted)
	}

	list, err := shared.Client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "scheduled" {
		t.Fatalf("field selector regarding.name=web: %d items", len(list.Items))
	}
}

func TestNewStyleEventValidation(t *testing.T) {
	ns := newNamespace(t)
	_, err := shared.Client.EventsV1().Events(ns).Create(context.Background(), &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "incomplete"},
		Regarding:  corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: ns},
		Type:       corev1.EventTypeNormal,
	}, metav1.CreateOptions{})
	for _, f := range []string{"eventTime", "reportingController", "reportingInstance", "action", "reason"} {
		assertInvalid(t, err, f)
	}
}
