package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/kubelet/stats"
)

// Container is a running container, as the stats endpoints name it.
type Container struct {
	Namespace, Pod, Name, PodUID string
	StartedAt, PodStartedAt      time.Time
	// Cgroup and PodCgroup are the container's and its pod's cgroup paths.
	Cgroup, PodCgroup string
}

// StatsSource is what the stats endpoints read.
type StatsSource struct {
	NodeName  string
	StartedAt time.Time
	Reader    *stats.Reader
	// Hollow, on a node of the fake runtime, makes up the usage its pods'
	// annotations choose, in place of Reader's cgroups.
	Hollow  *stats.Hollow
	Running func() []Container
}

// podUsage is one pod's readings.
type podUsage struct {
	ref        statsv1alpha1.PodReference
	started    time.Time
	pod        stats.Usage
	containers []containerUsage
}

type containerUsage struct {
	c Container
	u stats.Usage
}

// read takes one reading of the node and of every running container and
// its pod. A container whose cgroup is gone (it just stopped) is left out.
func (s *StatsSource) read() (stats.Usage, []podUsage, error) {
	if s.Hollow != nil {
		node, pods := s.readHollow()
		return node, pods, nil
	}
	node, err := s.Reader.Node()
	if err != nil {
		return node, nil, err
	}
	byPod := map[string]*podUsage{}
	keep := map[string]bool{}
	for _, c := range s.Running() {
		u, err := s.Reader.Cgroup(c.Cgroup)
		if err != nil {
			continue
		}
		keep[c.Cgroup] = true
		p := byPod[c.PodUID]
		if p == nil {
			pu, err := s.Reader.Cgroup(c.PodCgroup)
			if err != nil {
				continue
			}
			keep[c.PodCgroup] = true
			p = &podUsage{ref: statsv1alpha1.PodReference{Name: c.Pod, Namespace: c.Namespace, UID: c.PodUID}, started: c.PodStartedAt, pod: pu}
			byPod[c.PodUID] = p
		}
		p.containers = append(p.containers, containerUsage{c, u})
	}
	s.Reader.Forget(keep)
	return node, sorted(byPod), nil
}

// readHollow is read on a hollow node: each pod uses what its containers
// are made up to use.
func (s *StatsSource) readHollow() (stats.Usage, []podUsage) {
	running := s.Running()
	names := make([]stats.HollowContainer, len(running))
	for i, c := range running {
		names[i] = stats.HollowContainer{Namespace: c.Namespace, Pod: c.Pod, Name: c.Name}
	}
	node, usages := s.Hollow.Read(names)
	byPod := map[string]*podUsage{}
	for i, c := range running {
		u := usages[i]
		p := byPod[c.PodUID]
		if p == nil {
			p = &podUsage{ref: statsv1alpha1.PodReference{Name: c.Pod, Namespace: c.Namespace, UID: c.PodUID}, started: c.PodStartedAt,
				pod: stats.Usage{Time: u.Time}}
			byPod[c.PodUID] = p
		}
		p.pod.CPUNanoseconds += u.CPUNanoseconds
		p.pod.NanoCores += u.NanoCores
		p.pod.MemoryBytes += u.MemoryBytes
		p.pod.WorkingSetBytes += u.WorkingSetBytes
		p.pod.RSSBytes += u.RSSBytes
		p.containers = append(p.containers, containerUsage{c, u})
	}
	return node, sorted(byPod)
}

// sorted is the pods by namespace and name, each's containers by name.
func sorted(byPod map[string]*podUsage) []podUsage {
	pods := make([]podUsage, 0, len(byPod))
	for _, p := range byPod {
		sort.Slice(p.containers, func(i, j int) bool { return p.containers[i].c.Name < p.containers[j].c.Name })
		pods = append(pods, *p)
	}
	sort.Slice(pods, func(i, j int) bool {
		return pods[i].ref.Namespace+"/"+pods[i].ref.Name < pods[j].ref.Namespace+"/"+pods[j].ref.Name
	})
	return pods
}

func cpuStats(u stats.Usage) *statsv1alpha1.CPUStats {
	return &statsv1alpha1.CPUStats{Time: metav1.NewTime(u.Time), UsageNanoCores: ptr.To(u.NanoCores), UsageCoreNanoSeconds: ptr.To(u.CPUNanoseconds)}
}

func memoryStats(u stats.Usage) *statsv1alpha1.MemoryStats {
	return &statsv1alpha1.MemoryStats{Time: metav1.NewTime(u.Time), UsageBytes: ptr.To(u.MemoryBytes),
		WorkingSetBytes: ptr.To(u.WorkingSetBytes), RSSBytes: ptr.To(u.RSSBytes)}
}

// summary serves /stats/summary: the kubelet Summary API's node, pod and
// container CPU and memory.
func (s *StatsSource) summary(w http.ResponseWriter, _ *http.Request) {
	node, pods, err := s.read()
	if err != nil {
		http.Error(w, fmt.Sprintf("reading stats: %v", err), http.StatusInternalServerError)
		return
	}
	out := statsv1alpha1.Summary{
		Node: statsv1alpha1.NodeStats{NodeName: s.NodeName, StartTime: metav1.NewTime(s.StartedAt), CPU: cpuStats(node), Memory: memoryStats(node)},
		Pods: []statsv1alpha1.PodStats{},
	}
	for _, p := range pods {
		ps := statsv1alpha1.PodStats{PodRef: p.ref, StartTime: metav1.NewTime(p.started), CPU: cpuStats(p.pod), Memory: memoryStats(p.pod)}
		for _, c := range p.containers {
			ps.Containers = append(ps.Containers, statsv1alpha1.ContainerStats{Name: c.c.Name, StartTime: metav1.NewTime(c.c.StartedAt),
				CPU: cpuStats(c.u), Memory: memoryStats(c.u)})
		}
		out.Pods = append(out.Pods, ps)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// resourceMetrics serves /metrics/resource in the Prometheus text format
// with upstream's series, which metrics-server scrapes.
func (s *StatsSource) resourceMetrics(w http.ResponseWriter, _ *http.Request) {
	node, pods, err := s.read()
	var b strings.Builder
	series := func(name, help, kind string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
	}
	sample := func(name, labels string, v float64, at time.Time) {
		if labels != "" {
			labels = "{" + labels + "}"
		}
		fmt.Fprintf(&b, "%s%s %g %d\n", name, labels, v, at.UnixMilli())
	}
	containerLabels := func(c Container) string {
		return fmt.Sprintf("container=%q,namespace=%q,pod=%q", c.Name, c.Namespace, c.Pod)
	}
	podLabels := func(p podUsage) string { return fmt.Sprintf("namespace=%q,pod=%q", p.ref.Namespace, p.ref.Name) }
	if err == nil {
		series("container_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the container in core-seconds", "counter")
		for _, p := range pods {
			for _, c := range p.containers {
				sample("container_cpu_usage_seconds_total", containerLabels(c.c), float64(c.u.CPUNanoseconds)/1e9, c.u.Time)
			}
		}
		series("container_memory_working_set_bytes", "[STABLE] Current working set of the container in bytes", "gauge")
		for _, p := range pods {
			for _, c := range p.containers {
				sample("container_memory_working_set_bytes", containerLabels(c.c), float64(c.u.WorkingSetBytes), c.u.Time)
			}
		}
		series("container_start_time_seconds", "[STABLE] Start time of the container since unix epoch in seconds", "gauge")
		for _, p := range pods {
			for _, c := range p.containers {
				sample("container_start_time_seconds", containerLabels(c.c), float64(c.c.StartedAt.UnixNano())/1e9, c.u.Time)
			}
		}
		series("node_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the node in core-seconds", "counter")
		sample("node_cpu_usage_seconds_total", "", float64(node.CPUNanoseconds)/1e9, node.Time)
		series("node_memory_working_set_bytes", "[STABLE] Current working set of the node in bytes", "gauge")
		sample("node_memory_working_set_bytes", "", float64(node.WorkingSetBytes), node.Time)
		series("pod_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the pod in core-seconds", "counter")
		for _, p := range pods {
			sample("pod_cpu_usage_seconds_total", podLabels(p), float64(p.pod.CPUNanoseconds)/1e9, p.pod.Time)
		}
		series("pod_memory_working_set_bytes", "[STABLE] Current working set of the pod in bytes", "gauge")
		for _, p := range pods {
			sample("pod_memory_working_set_bytes", podLabels(p), float64(p.pod.WorkingSetBytes), p.pod.Time)
		}
	}
	series("scrape_error", "[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise", "gauge")
	scrapeError := 0.0
	if err != nil {
		scrapeError = 1
	}
	fmt.Fprintf(&b, "scrape_error %g\n", scrapeError)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}
