package stats

import (
	"testing"
	"time"
)

// A hollow container's CPU counter grows at the rate its pod's annotation
// chooses, and the node's at the sum; a changed annotation holds from the
// next reading.
func TestHollowUsage(t *testing.T) {
	annotations := map[string]string{HollowCPUAnnotation: "500m", HollowMemoryAnnotation: "64Mi"}
	h := &Hollow{Annotations: func(namespace, name string) map[string]string {
		if name == "web" {
			return annotations
		}
		return nil
	}}
	containers := []HollowContainer{{"ns", "web", "app"}, {"ns", "idle", "app"}}
	_, first := h.Read(containers)
	time.Sleep(200 * time.Millisecond)
	node, second := h.Read(containers)
	elapsed := second[0].Time.Sub(first[0].Time).Seconds()
	rate := float64(second[0].CPUNanoseconds-first[0].CPUNanoseconds) / elapsed
	if rate < 0.49e9 || rate > 0.51e9 {
		t.Errorf("CPU grew at %.0f nanocores, want 500m", rate)
	}
	if second[0].WorkingSetBytes != 64<<20 || second[1].CPUNanoseconds != 0 || second[1].WorkingSetBytes != 0 {
		t.Errorf("web %+v, idle %+v", second[0], second[1])
	}
	if node.NanoCores != 5e8 || node.WorkingSetBytes != 64<<20 {
		t.Errorf("node %+v", node)
	}
	annotations[HollowCPUAnnotation] = "2"
	_, third := h.Read(containers)
	if third[0].NanoCores != 2e9 || third[0].CPUNanoseconds < second[0].CPUNanoseconds {
		t.Errorf("after the change: %+v (before %+v)", third[0], second[0])
	}
}
