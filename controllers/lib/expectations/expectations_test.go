package expectations

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestExpectations(t *testing.T) {
	e := New()
	if !e.Satisfied("ns/a") {
		t.Fatal("nothing expected, yet not satisfied")
	}
	e.Expect("ns/a", 2, []types.UID{"pod-x"})
	if e.Satisfied("ns/a") {
		t.Fatal("satisfied with 3 events outstanding")
	}
	e.ObservedAdd("ns/a")
	e.ObservedAdd("ns/a")
	if e.Satisfied("ns/a") {
		t.Fatal("satisfied with a delete outstanding")
	}
	e.ObservedDelete("ns/a", "pod-x")
	if !e.Satisfied("ns/a") {
		t.Fatal("not satisfied after every event")
	}
	e.Expect("ns/b", 1, nil)
	e.pending["ns/b"].since = time.Now().Add(-expectationsTimeout - time.Second)
	if !e.Satisfied("ns/b") {
		t.Fatal("an expired expectation still blocks")
	}
	e.Forget("ns/b")
	if _, ok := e.pending["ns/b"]; ok {
		t.Fatal("forgotten key still pending")
	}
}

// A graceful deletion is seen twice: when the pod starts terminating and
// when it is gone. Seeing one pod twice must not stand for another pod's
// deletion.
func TestADeletionSeenTwiceCountsOnce(t *testing.T) {
	e := New()
	e.Expect("ns/rs", 0, []types.UID{"a", "b"})
	e.ObservedDelete("ns/rs", "a") // deletionTimestamp set
	e.ObservedDelete("ns/rs", "a") // pod removed
	if e.Satisfied("ns/rs") {
		t.Fatal("satisfied while pod b's deletion is unseen")
	}
	e.ObservedDelete("ns/rs", "someone-else")
	if e.Satisfied("ns/rs") {
		t.Fatal("a pod not asked for stood in for pod b")
	}
	e.ObservedDelete("ns/rs", "b")
	if !e.Satisfied("ns/rs") {
		t.Fatal("not satisfied after both deletions")
	}
}
