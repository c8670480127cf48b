package stats

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// The annotations with which a pod on a hollow node (--runtime=fake)
// chooses what each of its containers reports using: a CPU quantity
// ("250m") and a memory quantity ("64Mi"). They may change at any time;
// the new figure holds from the next reading. Without them a container
// uses nothing. This is how an autoscaler or `kubectl top` is exercised
// without burning real CPU.
const (
	HollowCPUAnnotation    = "hollow.kybernetes.io/cpu"
	HollowMemoryAnnotation = "hollow.kybernetes.io/memory"
)

// HollowContainer names a container of a hollow node.
type HollowContainer struct{ Namespace, Pod, Name string }

// Hollow makes up the usage of a hollow node's containers from their
// pods' annotations: the cumulative CPU time of each grows at the chosen
// rate between readings, as a real counter would, so that whoever reads
// rates from it (the metrics scraper) sees that rate.
type Hollow struct {
	// Annotations reads a pod's annotations (nil when the pod is gone).
	Annotations func(namespace, name string) map[string]string

	mu         sync.Mutex
	containers map[HollowContainer]*hollowCounter
	node       hollowCounter
}

// hollowCounter is one cumulative CPU counter and the rate it grows at.
type hollowCounter struct {
	at        time.Time
	cpu       uint64 // nanoseconds
	nanoCores uint64
}

// advance moves the counter to now at its old rate, then takes the new.
func (c *hollowCounter) advance(now time.Time, nanoCores uint64) {
	if !c.at.IsZero() && now.After(c.at) {
		c.cpu += uint64(float64(c.nanoCores) * now.Sub(c.at).Seconds())
	}
	c.at, c.nanoCores = now, nanoCores
}

// Read is one reading of the node and of each container (in order).
func (h *Hollow) Read(containers []HollowContainer) (Usage, []Usage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.containers == nil {
		h.containers = map[HollowContainer]*hollowCounter{}
	}
	now := time.Now()
	out := make([]Usage, len(containers))
	seen := map[HollowContainer]bool{}
	var nodeCores, nodeMemory uint64
	for i, c := range containers {
		annotations := h.Annotations(c.Namespace, c.Pod)
		cores, memory := chosen(annotations[HollowCPUAnnotation], 1e9), chosen(annotations[HollowMemoryAnnotation], 1)
		counter := h.containers[c]
		if counter == nil {
			counter = &hollowCounter{}
			h.containers[c] = counter
		}
		counter.advance(now, cores)
		seen[c] = true
		out[i] = Usage{Time: now, CPUNanoseconds: counter.cpu, NanoCores: cores,
			MemoryBytes: memory, WorkingSetBytes: memory, RSSBytes: memory}
		nodeCores += cores
		nodeMemory += memory
	}
	for c := range h.containers {
		if !seen[c] {
			delete(h.containers, c)
		}
	}
	h.node.advance(now, nodeCores)
	return Usage{Time: now, CPUNanoseconds: h.node.cpu, NanoCores: nodeCores,
		MemoryBytes: nodeMemory, WorkingSetBytes: nodeMemory, RSSBytes: nodeMemory}, out
}

// chosen is an annotation's quantity times scale (nanocores from cores),
// 0 when unset or not a non-negative quantity.
func chosen(value string, scale float64) uint64 {
	if value == "" {
		return 0
	}
	q, err := resource.ParseQuantity(value)
	if err != nil || q.Sign() < 0 {
		return 0
	}
	return uint64(q.AsApproximateFloat64() * scale)
}
