package replicaset

import (
	"sync"
	"time"
)

// expectationsTimeout bounds how long a controller waits to observe its own
// creates and deletes before it trusts its cache again.
const expectationsTimeout = 5 * time.Minute

// expectations remember, per replica set, how many pod creations and
// deletions it has asked for but not yet seen in its informer. While any are
// outstanding, the controller does not act again on a stale cache: a slow
// informer must never make it create the same pods twice.
type expectations struct {
	mu      sync.Mutex
	pending map[string]*pending
}

type pending struct {
	adds, deletes int
	since         time.Time
}

func newExpectations() *expectations { return &expectations{pending: map[string]*pending{}} }

// expect records creations and deletions about to be made for key.
func (e *expectations) expect(key string, adds, deletes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending[key] = &pending{adds: adds, deletes: deletes, since: time.Now()}
}

// observedAdd and observedDelete count one seen event (or one request that
// failed and so will never be seen).
func (e *expectations) observedAdd(key string)    { e.lower(key, 1, 0) }
func (e *expectations) observedDelete(key string) { e.lower(key, 0, 1) }

func (e *expectations) lower(key string, adds, deletes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.pending[key]; ok {
		p.adds -= adds
		p.deletes -= deletes
	}
}

// satisfied reports whether key may act on its cache: nothing is pending,
// or what is pending is too old to wait for.
func (e *expectations) satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pending[key]
	return !ok || (p.adds <= 0 && p.deletes <= 0) || time.Since(p.since) > expectationsTimeout
}

func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pending, key)
}
