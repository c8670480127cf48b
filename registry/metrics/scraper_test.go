package metrics

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// A kubelet's /metrics/resource as kybernetes' kubelet writes it.
func resourceMetrics(nodeCPU, containerCPU float64, at time.Time) string {
	ms := at.UnixMilli()
	return strings.NewReplacer("NODECPU", ftoa(nodeCPU), "CCPU", ftoa(containerCPU), "TS", itoa(ms)).Replace(`# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds
# TYPE node_cpu_usage_seconds_total counter
node_cpu_usage_seconds_total NODECPU TS
# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes
# TYPE node_memory_working_set_bytes gauge
node_memory_working_set_bytes 1.073741824e+09 TS
# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="app",namespace="shop",pod="web-1"} CCPU TS
# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="app",namespace="shop",pod="web-1"} 5.24288e+07 TS
`)
}

func TestUsageIsTheRateBetweenTwoReadings(t *testing.T) {
	s := &Scraper{}
	start := time.Unix(1700000000, 0)
	for i, nodeCPU := range []float64{100, 103} { // 3 core-seconds in 10 s: 300m
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(strings.NewReader(resourceMetrics(nodeCPU, 10+0.25*10*float64(i), start.Add(time.Duration(i)*10*time.Second))))
		if err != nil {
			t.Fatal(err)
		}
		node, containers := readings(families)
		s.record("node-0", node, containers)
		if i == 0 {
			if _, ok := s.node("node-0"); ok {
				t.Error("a usage from one reading")
			}
		}
	}
	u, ok := s.node("node-0")
	if !ok || u.cpu.MilliValue() != 300 || u.memory.Value() != 1<<30 || u.window != 10*time.Second {
		t.Errorf("node usage %+v (cpu %s), want 300m, 1Gi over 10s", u, u.cpu.String())
	}
	pod := s.pod("shop", "web-1", []string{"app"})
	if c := pod["app"]; c.cpu.MilliValue() != 250 || c.memory.Value() != 52428800 {
		t.Errorf("container usage cpu %s memory %s, want 250m and 50Mi", c.cpu.String(), c.memory.String())
	}
	if len(s.pod("shop", "web-1", []string{"app", "sidecar"})) != 1 {
		t.Error("a container without readings reported")
	}
	// A counter that went back (the container restarted) gives no rate.
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, _ := parser.TextToMetricFamilies(strings.NewReader(resourceMetrics(1, 1, start.Add(20*time.Second))))
	node, containers := readings(families)
	s.record("node-0", node, containers)
	if _, ok := s.node("node-0"); ok {
		t.Error("a rate from a counter that went back")
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
func itoa(i int64) string   { return strconv.FormatInt(i, 10) }
