package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// BenchmarkPodStartup measures pod startup latency on the kubelet: from
// `kubectl create` of 100 pods at once (image present) to each pod's
// container start as its status reports it, p50 and p99 over the batch;
// then, with the 100 running, the kubelet's RSS and CPU (over 30 s) and
// the shims' RSS (one per container).
// The baseline, measured in the same run, is the floor under any kubelet:
// `runc run` of the same image's container, alone; the ratio says what the
// kubelet adds (API round trips, scheduling, network setup, status).
//
//	sudo go test -run '^$' -bench PodStartup ./test/e2e/ -benchtime 1x
func BenchmarkPodStartup(b *testing.B) {
	c := startNodeCluster(b)
	// A node just Ready still carries the not-ready taint for a moment:
	// pods created then wait for the scheduler's retry, not the kubelet.
	c.waitFor("the node without taints", func() bool {
		out, _ := c.kubectl("get", "node", c.node, "-o", "jsonpath={.spec.taints}")
		return out == ""
	})
	baseline := runcFloor(b, c)
	const batch = 100
	var all []time.Duration
	for i := range b.N {
		var manifest strings.Builder
		for j := range batch {
			fmt.Fprintf(&manifest, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bench-%d-%d","labels":{"bench":"%d"}},"spec":{"terminationGracePeriodSeconds":0,"containers":[{"name":"main","image":"example.test/busybox:1","command":["sleep","3600"]}]}}`+"\n", i, j, i)
		}
		created := time.Now()
		cmd := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "create", "-f", "-")
		cmd.Stdin = strings.NewReader(manifest.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("create: %v\n%s", err, out)
		}
		var starts []string
		c.waitFor("the batch running", func() bool {
			out, _ := c.kubectl("get", "pods", "-l", fmt.Sprintf("bench=%d", i), "-o", "jsonpath={range .items[*]}{.status.containerStatuses[0].state.running.startedAt}{\"\\n\"}{end}")
			starts = strings.Fields(out)
			return len(starts) == batch
		})
		for _, s := range starts {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				b.Fatal(err)
			}
			// startedAt has whole seconds: latencies are rounded up.
			all = append(all, t.Add(time.Second).Sub(created.Truncate(time.Second)))
		}
		if i == 0 {
			kubeletRSS, cpu, shims, shimPSS := steadyCost(b, c)
			b.ReportMetric(kubeletRSS, "kubelet-rss-MiB")
			b.ReportMetric(cpu*100, "kubelet-cpu-%")
			b.ReportMetric(shimPSS/float64(shims), "shim-pss-MiB")
		}
		c.k("delete", "pods", "-l", fmt.Sprintf("bench=%d", i), "--grace-period=0", "--timeout=300s")
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	p50, p99 := all[len(all)/2], all[(len(all)*99)/100]
	b.ReportMetric(p50.Seconds(), "p50-s")
	b.ReportMetric(p99.Seconds(), "p99-s")
	b.ReportMetric(baseline.Seconds(), "runc-run-s")
	b.ReportMetric(p50.Seconds()/baseline.Seconds(), "p50/runc")
}

// steadyCost is what the node costs with its pods running: the kubelet's
// RSS, its CPU (cores) over 30 s, and the number of its container shims
// and their total PSS (the shims map the one kybernetes binary: RSS would
// count its pages once a shim).
func steadyCost(b *testing.B, c *nodeCluster) (float64, float64, int, float64) {
	pid := c.kubelet.Process.Pid
	before, began := cpuSeconds(pid), time.Now()
	time.Sleep(30 * time.Second)
	cpu := (cpuSeconds(pid) - before) / time.Since(began).Seconds()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	shims, shimPSS := 0, 0.0
	for _, p := range procs {
		cmdline, _ := os.ReadFile(p)
		if strings.Contains(string(cmdline), "container-shim\x00") && strings.Contains(string(cmdline), c.rootDir) {
			var shimPid int
			fmt.Sscanf(filepath.Base(filepath.Dir(p)), "%d", &shimPid)
			shims++
			shimPSS += pssMiB(shimPid)
		}
	}
	if shims == 0 {
		b.Fatal("no container shims found")
	}
	return rssMiB(pid), cpu, shims, shimPSS
}

// pssMiB is a process's proportional set size: shared pages divided among
// the processes that map them.
func pssMiB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
			var kb float64
			fmt.Sscanf(f[1], "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// cpuSeconds is a process's user and system CPU time.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// After the command's ")" come the fields from the third on; utime
	// and stime are the 14th and 15th, in clock ticks (100 a second).
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	var utime, stime float64
	fmt.Sscanf(fields[11], "%f", &utime)
	fmt.Sscanf(fields[12], "%f", &stime)
	return (utime + stime) / 100
}

// runcFloor is how long `runc run` of the test image's `true` takes on this
// machine, median of 5: a bundle on the image's unpacked root filesystem.
func runcFloor(b *testing.B, c *nodeCluster) time.Duration {
	images, _ := filepath.Glob(filepath.Join(c.rootDir, "images", "*", "rootfs"))
	if len(images) == 0 {
		b.Fatal("no unpacked image")
	}
	dir := b.TempDir()
	spec := exec.Command("runc", "spec", "--rootless=false")
	spec.Dir = dir
	if out, err := spec.CombinedOutput(); err != nil {
		b.Fatalf("runc spec: %v\n%s", err, out)
	}
	config, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	patched := strings.Replace(strings.Replace(string(config), `"terminal": true`, `"terminal": false`, 1), `"sh"`, `"true"`, 1)
	patched = strings.Replace(patched, `"path": "rootfs"`, fmt.Sprintf(`"path": %q`, images[0]), 1)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(patched), 0o600); err != nil {
		b.Fatal(err)
	}
	var runs []time.Duration
	for i := range 5 {
		began := time.Now()
		run := exec.Command("runc", "--root", filepath.Join(dir, "state"), "run", "--bundle", dir, fmt.Sprintf("floor-%d", i))
		if out, err := run.CombinedOutput(); err != nil {
			b.Fatalf("runc run: %v\n%s", err, out)
		}
		runs = append(runs, time.Since(began))
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i] < runs[j] })
	return runs[2]
}
