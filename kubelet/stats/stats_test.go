package stats

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCgroupV2 reads a unified hierarchy's files (this CI machine runs v1,
// where the e2e tests read real cgroups).
func TestCgroupV2(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "cgroup.controllers"), "cpu memory pids\n")
	dir := filepath.Join(root, "kybernetes", "podu1", "web")
	write(t, filepath.Join(dir, "cpu.stat"), "usage_usec 2000000\nuser_usec 1500000\n")
	write(t, filepath.Join(dir, "memory.current"), "10485760\n")
	write(t, filepath.Join(dir, "memory.stat"), "anon 4194304\ninactive_file 2097152\n")
	r := &Reader{Root: root}
	u, err := r.Cgroup("/kybernetes/podu1/web")
	if err != nil {
		t.Fatal(err)
	}
	if u.CPUNanoseconds != 2e9 || u.MemoryBytes != 10485760 || u.WorkingSetBytes != 8388608 || u.RSSBytes != 4194304 || u.NanoCores != 0 {
		t.Errorf("first reading: %+v", u)
	}
	// One more CPU second over about a second: about a core.
	r.last["/kybernetes/podu1/web"] = Usage{Time: u.Time.Add(-time.Second), CPUNanoseconds: 1e9}
	if u, _ = r.Cgroup("/kybernetes/podu1/web"); u.NanoCores < 5e8 || u.NanoCores > 1.1e9 {
		t.Errorf("rate: %d nanocores", u.NanoCores)
	}
}

func TestCgroupV1(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "cpuacct", "kybernetes", "podu1", "web", "cpuacct.usage"), "123456789\n")
	write(t, filepath.Join(root, "memory", "kybernetes", "podu1", "web", "memory.usage_in_bytes"), "1000\n")
	write(t, filepath.Join(root, "memory", "kybernetes", "podu1", "web", "memory.stat"), "cache 300\nrss 600\ntotal_rss 600\ntotal_inactive_file 2000\n")
	u, err := (&Reader{Root: root}).Cgroup("/kybernetes/podu1/web")
	if err != nil {
		t.Fatal(err)
	}
	// More inactive cache than usage (accounting skew): a working set of 0, not an underflow.
	if u.CPUNanoseconds != 123456789 || u.MemoryBytes != 1000 || u.WorkingSetBytes != 0 || u.RSSBytes != 600 {
		t.Errorf("reading: %+v", u)
	}
	if _, err := (&Reader{Root: root}).Cgroup("/kybernetes/gone"); err == nil {
		t.Error("a missing cgroup read fine")
	}
}

func TestNodeUsageFromItsCgroup(t *testing.T) {
	root := t.TempDir()
	r := &Reader{Root: root, NodeCgroup: "/kybernetes/node-0", last: map[string]Usage{}}
	// Before the node's first pod its cgroup does not exist: no usage.
	if u, err := r.Node(); err != nil || u.CPUNanoseconds != 0 || u.WorkingSetBytes != 0 {
		t.Errorf("a node without its cgroup: %+v, %v", u, err)
	}
	for file, content := range map[string]string{
		"cpuacct/kybernetes/node-0/cpuacct.usage":        "2500000000\n",
		"memory/kybernetes/node-0/memory.usage_in_bytes": "104857600\n",
		"memory/kybernetes/node-0/memory.stat":           "total_inactive_file 4857600\ntotal_rss 52428800\n",
	} {
		path := filepath.Join(root, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u, err := r.Node()
	if err != nil || u.CPUNanoseconds != 2500000000 || u.WorkingSetBytes != 100000000 {
		t.Errorf("the node's cgroup: %+v, %v", u, err)
	}
}
