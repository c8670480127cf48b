// Package expectations lets a controller wait to see its own creates and
// deletes in its informer before it acts on the cache again, as upstream's
// ControllerExpectations: a slow informer must never make it create the
// same pods twice.
package expectations

import (
	"sync"
	"time"
)

// expectationsTimeout bounds how long a controller waits to observe its own
// creates and deletes before it trusts its cache again.
const expectationsTimeout = 5 * time.Minute

// Expectations remember, per owner key, how many creations and deletions
// the controller has asked for but not yet seen in its informer.
type Expectations struct {
	mu      sync.Mutex
	pending map[string]*pending
}

type pending struct {
	adds, deletes int
	since         time.Time
}

// New returns empty expectations.
func New() *Expectations { return &Expectations{pending: map[string]*pending{}} }

// Expect records creations and deletions about to be made for key.
func (e *Expectations) Expect(key string, adds, deletes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending[key] = &pending{adds: adds, deletes: deletes, since: time.Now()}
}

// ObservedAdd and observedDelete count one seen event (or one request that
// failed and so will never be seen).
func (e *Expectations) ObservedAdd(key string)    { e.lower(key, 1, 0) }
func (e *Expectations) ObservedDelete(key string) { e.lower(key, 0, 1) }

func (e *Expectations) lower(key string, adds, deletes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.pending[key]; ok {
		p.adds -= adds
		p.deletes -= deletes
	}
}

// Satisfied reports whether key may act on its cache: nothing is pending,
// or what is pending is too old to wait for.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pending[key]
	return !ok || (p.adds <= 0 && p.deletes <= 0) || time.Since(p.since) > expectationsTimeout
}

// Forget drops what is pending for key (its owner is gone).
func (e *Expectations) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pending, key)
}
