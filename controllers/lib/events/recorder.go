// Package events gives a controller the recorder for the events that
// `kubectl describe` and `kubectl get events` show, written as core/v1
// Events under the controller's component name, as upstream's controllers
// write them (repeats are folded into counts by client-go's correlator).
package events

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Recorder records events for one controller.
type Recorder struct {
	record.EventRecorder
	client      kubernetes.Interface
	broadcaster record.EventBroadcaster
}

// NewRecorder returns a recorder for component (upstream's names, such as
// "replicaset-controller"); events reach the API server once Start runs.
func NewRecorder(client kubernetes.Interface, component string) *Recorder {
	broadcaster := record.NewBroadcaster()
	return &Recorder{
		EventRecorder: broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component}),
		client:        client,
		broadcaster:   broadcaster,
	}
}

// Start sends the recorded events to the API server until ctx ends.
func (r *Recorder) Start(ctx context.Context) {
	r.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: r.client.CoreV1().Events("")})
	go func() {
		<-ctx.Done()
		r.broadcaster.Shutdown()
	}()
}
