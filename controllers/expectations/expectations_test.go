package expectations

import (
	"testing"
	"time"
)

func TestExpectations(t *testing.T) {
	e := New()
	if !e.Satisfied("ns/a") {
		t.Fatal("nothing expected, yet not satisfied")
	}
	e.Expect("ns/a", 2, 1)
	if e.Satisfied("ns/a") {
		t.Fatal("satisfied with 3 events outstanding")
	}
	e.ObservedAdd("ns/a")
	e.ObservedAdd("ns/a")
	if e.Satisfied("ns/a") {
		t.Fatal("satisfied with a delete outstanding")
	}
	e.ObservedDelete("ns/a")
	if !e.Satisfied("ns/a") {
		t.Fatal("not satisfied after every event")
	}
	e.Expect("ns/b", 1, 0)
	e.pending["ns/b"].since = time.Now().Add(-expectationsTimeout - time.Second)
	if !e.Satisfied("ns/b") {
		t.Fatal("an expired expectation still blocks")
	}
}
