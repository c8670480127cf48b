package garbagecollector

import (
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// object is one node of the ownership graph: an object the collector has
// seen through its informers.
type object struct {
	resource   schema.GroupVersionResource
	namespace  string
	name       string
	uid        types.UID
	owners     []metav1.OwnerReference
	finalizers []string
	deleting   bool
}

// graph maps every observed object by uid and, for every uid named as an
// owner (observed or not), the uids of its dependents.
type graph struct {
	mu         sync.Mutex
	objects    map[types.UID]*object
	dependents map[types.UID]map[types.UID]bool
}

func newGraph() *graph {
	return &graph{objects: map[types.UID]*object{}, dependents: map[types.UID]map[types.UID]bool{}}
}

// upsert records obj and returns what it was before (nil if new).
func (g *graph) upsert(obj *object) *object {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.objects[obj.uid]
	if old != nil {
		for _, ref := range old.owners {
			delete(g.dependents[ref.UID], obj.uid)
		}
	}
	g.objects[obj.uid] = obj
	for _, ref := range obj.owners {
		if g.dependents[ref.UID] == nil {
			g.dependents[ref.UID] = map[types.UID]bool{}
		}
		g.dependents[ref.UID][obj.uid] = true
	}
	return old
}

// remove forgets uid and returns the uids of its dependents.
func (g *graph) remove(uid types.UID) []types.UID {
	g.mu.Lock()
	defer g.mu.Unlock()
	if obj := g.objects[uid]; obj != nil {
		for _, ref := range obj.owners {
			delete(g.dependents[ref.UID], uid)
		}
	}
	delete(g.objects, uid)
	return g.dependentsLocked(uid)
}

func (g *graph) get(uid types.UID) *object {
	g.mu.Lock()
	defer g.mu.Unlock()
	if obj := g.objects[uid]; obj != nil {
		copy := *obj
		return &copy
	}
	return nil
}

func (g *graph) dependentsOf(uid types.UID) []types.UID {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dependentsLocked(uid)
}

func (g *graph) dependentsLocked(uid types.UID) []types.UID {
	var out []types.UID
	for d := range g.dependents[uid] {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// blockingDependents counts the dependents of uid that still exist and
// block its deletion (blockOwnerDeletion).
func (g *graph) blockingDependents(uid types.UID) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for d := range g.dependents[uid] {
		obj := g.objects[d]
		if obj == nil {
			continue
		}
		for _, ref := range obj.owners {
			if ref.UID == uid && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				n++
			}
		}
	}
	return n
}
