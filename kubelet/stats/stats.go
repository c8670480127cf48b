// Package stats reads what the kubelet's /stats/summary and
// /metrics/resource report: CPU time and memory of each container from its
// cgroup (v1 and v2 alike), and of the node from /proc. Rates (nanocores)
// come from the previous reading of the same cgroup.
package stats

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Usage is one reading.
type Usage struct {
	Time time.Time
	// CPUNanoseconds is cumulative CPU time.
	CPUNanoseconds uint64
	// NanoCores is the CPU rate since the previous reading (0 on the first).
	NanoCores uint64
	// MemoryBytes is all memory charged, WorkingSetBytes that minus the
	// inactive page cache (what the OOM killer and evictions look at),
	// RSSBytes the anonymous memory.
	MemoryBytes, WorkingSetBytes, RSSBytes uint64
}

// Reader reads cgroups under root (/sys/fs/cgroup), remembering the last
// reading of each for rates.
type Reader struct {
	Root string
	// NodeCgroup, when set, is the cgroup that is the whole node (the node
	// is part of a machine, as the nodes of `kybernetes up`); otherwise the
	// node is the machine.
	NodeCgroup string

	mu   sync.Mutex
	last map[string]Usage
}

// NewReader reads the host's cgroups.
func NewReader() *Reader { return &Reader{Root: "/sys/fs/cgroup", last: map[string]Usage{}} }

// V2 says whether root is the unified (cgroup v2) hierarchy.
func (r *Reader) V2() bool {
	_, err := os.Stat(filepath.Join(r.Root, "cgroup.controllers"))
	return err == nil
}

// Cgroup reads the cgroup at path (relative to each hierarchy, as the
// OCI spec's cgroupsPath).
func (r *Reader) Cgroup(path string) (Usage, error) {
	u := Usage{Time: time.Now()}
	if r.V2() {
		dir := filepath.Join(r.Root, path)
		stat, err := keyed(filepath.Join(dir, "cpu.stat"))
		if err != nil {
			return u, err
		}
		u.CPUNanoseconds = stat["usage_usec"] * 1000
		if u.MemoryBytes, err = number(filepath.Join(dir, "memory.current")); err != nil {
			return u, err
		}
		mem, err := keyed(filepath.Join(dir, "memory.stat"))
		if err != nil {
			return u, err
		}
		u.WorkingSetBytes = sub(u.MemoryBytes, mem["inactive_file"])
		u.RSSBytes = mem["anon"]
	} else {
		var err error
		if u.CPUNanoseconds, err = number(filepath.Join(r.Root, "cpuacct", path, "cpuacct.usage")); err != nil {
			return u, err
		}
		dir := filepath.Join(r.Root, "memory", path)
		if u.MemoryBytes, err = number(filepath.Join(dir, "memory.usage_in_bytes")); err != nil {
			return u, err
		}
		mem, err := keyed(filepath.Join(dir, "memory.stat"))
		if err != nil {
			return u, err
		}
		u.WorkingSetBytes = sub(u.MemoryBytes, mem["total_inactive_file"])
		u.RSSBytes = mem["total_rss"]
	}
	r.rate(path, &u)
	return u, nil
}

// Node reads the node: its cgroup (NodeCgroup), or the whole machine —
// CPU from /proc/stat, memory from /proc/meminfo (in use: total minus
// available).
func (r *Reader) Node() (Usage, error) {
	if r.NodeCgroup != "" {
		u, err := r.Cgroup(r.NodeCgroup)
		if errors.Is(err, os.ErrNotExist) {
			// Made with the node's first pod: until then it uses nothing.
			return Usage{Time: time.Now()}, nil
		}
		return u, err
	}
	u := Usage{Time: time.Now()}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return u, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return u, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy uint64
	// user nice system idle iowait irq softirq steal: all but idle and iowait.
	for i, f := range fields[1:min(len(fields), 9)] {
		if i == 3 || i == 4 {
			continue
		}
		v, _ := strconv.ParseUint(f, 10, 64)
		busy += v
	}
	const userHZ = 100 // clock ticks per second on Linux
	u.CPUNanoseconds = busy * (uint64(time.Second) / userHZ)
	mem, err := keyed("/proc/meminfo")
	if err != nil {
		return u, err
	}
	u.MemoryBytes = sub(mem["MemTotal:"], mem["MemFree:"]) * 1024
	u.WorkingSetBytes = sub(mem["MemTotal:"], mem["MemAvailable:"]) * 1024
	u.RSSBytes = mem["AnonPages:"] * 1024
	r.rate("node", &u)
	return u, nil
}

// rate fills NanoCores from the previous reading of key.
func (r *Reader) rate(key string, u *Usage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]Usage{}
	}
	if prev, ok := r.last[key]; ok && u.Time.After(prev.Time) && u.CPUNanoseconds >= prev.CPUNanoseconds {
		u.NanoCores = uint64(float64(u.CPUNanoseconds-prev.CPUNanoseconds) / u.Time.Sub(prev.Time).Seconds())
	}
	r.last[key] = *u
}

// Forget drops remembered readings whose keys are not in keep (cgroups of
// containers that are gone).
func (r *Reader) Forget(keep map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.last {
		if k != "node" && !keep[k] {
			delete(r.last, k)
		}
	}
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

func number(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
}

// keyed reads "key value" lines (memory.stat, cpu.stat, /proc/meminfo).
func keyed(path string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]uint64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 {
			if v, err := strconv.ParseUint(fields[1], 10, 64); err == nil {
				out[fields[0]] = v
			}
		}
	}
	return out, s.Err()
}
