// Package metrics serves metrics.k8s.io (NodeMetrics and PodMetrics) from
// the API server itself, as metrics-server would through aggregation: a
// scraper reads every kubelet's /metrics/resource each resolution and
// keeps the last two readings; CPU is the rate between them, memory the
// last working set.
package metrics

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/klog/v2"
)

// reading is one cumulative CPU figure and one working set, at a time.
type reading struct {
	cpuSeconds float64
	memory     float64
	at         time.Time
}

// usage is what a node or container used over a window.
type usage struct {
	cpu, memory resource.Quantity
	timestamp   time.Time
	window      time.Duration
}

// series keeps the last two readings of one node or container.
type series struct{ previous, last reading }

func (s *series) add(r reading) {
	if !r.at.After(s.last.at) {
		return // the same reading again
	}
	s.previous, s.last = s.last, r
}

// usage is the CPU rate between the two readings and the last memory; false
// until there are two, or when the counter went back (a restart).
func (s *series) usage() (usage, bool) {
	if s.previous.at.IsZero() || s.last.cpuSeconds < s.previous.cpuSeconds {
		return usage{}, false
	}
	window := s.last.at.Sub(s.previous.at)
	cores := (s.last.cpuSeconds - s.previous.cpuSeconds) / window.Seconds()
	return usage{cpu: *resource.NewMilliQuantity(int64(cores*1000+0.5), resource.DecimalSI),
		memory: *resource.NewQuantity(int64(s.last.memory), resource.BinarySI), timestamp: s.last.at, window: window}, true
}

// Endpoint finds a node's kubelet (address and port).
type Endpoint func(ctx context.Context, node string) (string, int, error)

// Scraper reads the kubelets' resource metrics.
type Scraper struct {
	Nodes      corelisters.NodeLister
	Endpoint   Endpoint
	Transport  http.RoundTripper
	Resolution time.Duration

	mu         sync.RWMutex
	nodes      map[string]*series
	containers map[string]map[containerKey]*series // by node
}

// containerKey names a container's series.
type containerKey struct{ namespace, pod, container string }

// Run scrapes every Resolution until ctx ends.
func (s *Scraper) Run(ctx context.Context) {
	client := &http.Client{Transport: s.Transport, Timeout: s.Resolution}
	wait.UntilWithContext(ctx, func(ctx context.Context) { s.scrapeAll(ctx, client) }, s.Resolution)
}

func (s *Scraper) scrapeAll(ctx context.Context, client *http.Client) {
	nodes, err := s.Nodes.List(labels.Everything())
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	for _, node := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.scrape(ctx, client, node); err != nil {
				klog.V(2).InfoS("scraping resource metrics", "node", node.Name, "err", err)
			}
		}()
	}
	wg.Wait()
	// Nodes that are gone take their series with them.
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := map[string]bool{}
	for _, n := range nodes {
		keep[n.Name] = true
	}
	for name := range s.nodes {
		if !keep[name] {
			delete(s.nodes, name)
			delete(s.containers, name)
		}
	}
}

func (s *Scraper) scrape(ctx context.Context, client *http.Client, node *corev1.Node) error {
	host, port, err := s.Endpoint(ctx, node.Name)
	if err != nil {
		return err
	}
	u := url.URL{Scheme: "https", Host: host + ":" + strconv.Itoa(port), Path: "/metrics/resource"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u.String(), resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return err
	}
	nodeReading, containers := readings(families)
	s.record(node.Name, nodeReading, containers)
	return nil
}

// record adds one scrape of a node.
func (s *Scraper) record(nodeName string, nodeReading *reading, containers map[containerKey]reading) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodes == nil {
		s.nodes, s.containers = map[string]*series{}, map[string]map[containerKey]*series{}
	}
	if nodeReading != nil {
		if s.nodes[nodeName] == nil {
			s.nodes[nodeName] = &series{}
		}
		s.nodes[nodeName].add(*nodeReading)
	}
	old := s.containers[nodeName]
	fresh := map[containerKey]*series{}
	for key, r := range containers {
		ser := old[key]
		if ser == nil {
			ser = &series{}
		}
		ser.add(r)
		fresh[key] = ser
	}
	s.containers[nodeName] = fresh
}

// readings picks the node's and each container's CPU and memory out of
// the kubelet's resource metrics.
func readings(families map[string]*dto.MetricFamily) (*reading, map[containerKey]reading) {
	var node *reading
	if cpu, mem := families["node_cpu_usage_seconds_total"], families["node_memory_working_set_bytes"]; cpu != nil && mem != nil &&
		len(cpu.Metric) > 0 && len(mem.Metric) > 0 {
		node = &reading{cpuSeconds: value(cpu.Metric[0]), memory: value(mem.Metric[0]), at: at(cpu.Metric[0])}
	}
	containers := map[containerKey]reading{}
	if cpu := families["container_cpu_usage_seconds_total"]; cpu != nil {
		for _, m := range cpu.Metric {
			containers[keyOf(m)] = reading{cpuSeconds: value(m), at: at(m)}
		}
	}
	if mem := families["container_memory_working_set_bytes"]; mem != nil {
		for _, m := range mem.Metric {
			if r, ok := containers[keyOf(m)]; ok {
				r.memory = value(m)
				containers[keyOf(m)] = r
			}
		}
	}
	return node, containers
}

func keyOf(m *dto.Metric) containerKey {
	var k containerKey
	for _, l := range m.Label {
		switch l.GetName() {
		case "namespace":
			k.namespace = l.GetValue()
		case "pod":
			k.pod = l.GetValue()
		case "container":
			k.container = l.GetValue()
		}
	}
	return k
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

func at(m *dto.Metric) time.Time {
	if m.TimestampMs != nil {
		return time.UnixMilli(*m.TimestampMs)
	}
	return time.Now()
}

// node is a node's usage, if two readings of it exist.
func (s *Scraper) node(name string) (usage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ser := s.nodes[name]
	if ser == nil {
		return usage{}, false
	}
	return ser.usage()
}

// pod is the usage of each of the pod's containers that has two readings.
func (s *Scraper) pod(namespace, name string, containers []string) map[string]usage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]usage{}
	for _, onNode := range s.containers {
		for _, c := range containers {
			if ser := onNode[containerKey{namespace, name, c}]; ser != nil {
				if u, ok := ser.usage(); ok {
					out[c] = u
				}
			}
		}
	}
	return out
}
