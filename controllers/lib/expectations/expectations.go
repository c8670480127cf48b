// Package expectations lets a controller wait to see its own creates and
// deletes in its informer before it acts on the cache again, as upstream's
// ControllerExpectations: a slow informer must never make it create the
// same pods twice, or delete more than it meant to.
package expectations

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// expectationsTimeout bounds how long a controller waits to observe its own
// creates and deletes before it trusts its cache again.
const expectationsTimeout = 5 * time.Minute

// Expectations remember, per owner key, how many creations and which pod
// deletions the controller has asked for but not yet seen in its informer.
// Deletions are tracked by pod UID, as upstream's UID-tracking
// expectations: a graceful delete is seen twice (deletionTimestamp set,
// then the pod gone), and counting it twice would let the controller act
// while another of its deletes is still unseen.
type Expectations struct {
	mu      sync.Mutex
	pending map[string]*pending
}

type pending struct {
	adds    int
	deletes sets.Set[types.UID]
	since   time.Time
}

// New returns empty expectations.
func New() *Expectations { return &Expectations{pending: map[string]*pending{}} }

// Expect records, for key, the number of creations and the pods whose
// deletion are about to be asked for, replacing what was expected before.
func (e *Expectations) Expect(key string, adds int, deletes []types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending[key] = &pending{adds: adds, deletes: sets.New(deletes...), since: time.Now()}
}

// ObservedAdd counts one seen creation (or one request that failed and so
// will never be seen).
func (e *Expectations) ObservedAdd(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.pending[key]; ok {
		p.adds--
	}
}

// ObservedDelete marks the deletion of pod uid as seen (or as failed); a
// second sighting of the same pod changes nothing.
func (e *Expectations) ObservedDelete(key string, uid types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.pending[key]; ok {
		p.deletes.Delete(uid)
	}
}

// Satisfied reports whether key may act on its cache: nothing is pending,
// or what is pending is too old to wait for.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pending[key]
	return !ok || (p.adds <= 0 && p.deletes.Len() == 0) || time.Since(p.since) > expectationsTimeout
}

// Forget drops what is pending for key (its owner is gone).
func (e *Expectations) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pending, key)
}
