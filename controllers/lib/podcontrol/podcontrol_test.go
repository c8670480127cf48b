package podcontrol

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/expectations"
)

func pod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)}}
}

// A failure stops the slow start: of 5 creations, the batch of 1 and the
// batch of 2 are tried, the rest never are, and expectations are lowered
// for the failed and untried ones, so that seeing the two created pods
// satisfies them.
func TestCreationsStopAtTheFirstFailingBatch(t *testing.T) {
	client := fake.NewClientset()
	var creates atomic.Int32
	client.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		if creates.Add(1) == 3 {
			return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("exceeded quota"))
		}
		return false, nil, nil
	})
	e := expectations.New()
	c := &Control{Client: client, Expectations: e, Recorder: events.NewRecorder(client, "test")}
	create := []*corev1.Pod{pod("a"), pod("b"), pod("c"), pod("d"), pod("e")}
	err := c.Apply(context.Background(), "ns/owner", pod("owner"), create, nil)
	if !apierrors.IsForbidden(err) {
		t.Fatalf("Apply: %v, want the quota error", err)
	}
	if n := creates.Load(); n != 3 {
		t.Fatalf("%d creates tried, want 3 (batches of 1 and 2)", n)
	}
	e.ObservedAdd("ns/owner")
	if e.Satisfied("ns/owner") {
		t.Fatal("satisfied with one created pod unseen")
	}
	e.ObservedAdd("ns/owner")
	if !e.Satisfied("ns/owner") {
		t.Fatal("not satisfied after both created pods were seen")
	}
}

// Deletions carry a UID precondition; a pod already gone counts as seen, a
// deleted one waits for its event, and BeforeDelete runs first.
func TestDeletions(t *testing.T) {
	here, gone := pod("here"), pod("gone")
	client := fake.NewClientset(here)
	var preconditioned atomic.Bool
	client.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if d := a.(k8stesting.DeleteAction); d.GetDeleteOptions().Preconditions != nil && d.GetDeleteOptions().Preconditions.UID != nil {
			preconditioned.Store(true)
		}
		return false, nil, nil
	})
	var prepared atomic.Int32
	e := expectations.New()
	c := &Control{Client: client, Expectations: e, Recorder: events.NewRecorder(client, "test"),
		BeforeDelete: func(context.Context, *corev1.Pod) error { prepared.Add(1); return nil }}
	if err := c.Apply(context.Background(), "ns/owner", pod("owner"), nil, []*corev1.Pod{here, gone}); err != nil {
		t.Fatal(err)
	}
	if !preconditioned.Load() || prepared.Load() != 2 {
		t.Fatalf("UID precondition %v, BeforeDelete ran %d times", preconditioned.Load(), prepared.Load())
	}
	if e.Satisfied("ns/owner") {
		t.Fatal("satisfied before the deleted pod's event")
	}
	e.ObservedDelete("ns/owner", here.UID)
	if !e.Satisfied("ns/owner") {
		t.Fatal("the pod that was already gone still counts as pending")
	}
}
