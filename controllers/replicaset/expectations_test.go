package replicaset

import (
	"testing"
	"time"
)

func TestExpectations(t *testing.T) {
	e := newExpectations()
	if !e.satisfied("ns/a") {
		t.Fatal("nothing expected, yet not satisfied")
	}
	e.expect("ns/a", 2, 1)
	if e.satisfied("ns/a") {
		t.Fatal("satisfied with 3 events outstanding")
	}
	e.observedAdd("ns/a")
	e.observedAdd("ns/a")
	if e.satisfied("ns/a") {
		t.Fatal("satisfied with a delete outstanding")
	}
	e.observedDelete("ns/a")
	if !e.satisfied("ns/a") {
		t.Fatal("not satisfied after every event")
	}
	e.expect("ns/b", 1, 0)
	e.pending["ns/b"].since = time.Now().Add(-expectationsTimeout - time.Second)
	if !e.satisfied("ns/b") {
		t.Fatal("an expired expectation still blocks")
	}
}
