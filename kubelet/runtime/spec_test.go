package runtime

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestBuildSpec(t *testing.T) {
	spec := BuildSpec(SpecInput{Args: []string{"sh"}, Cwd: "/", UID: 1000, GID: 1000, Hostname: "web", NetNS: "/run/netns/p",
		AddCapabilities: []string{"NET_ADMIN"}, DropCapabilities: []string{"CAP_KILL"}, MemoryLimit: 64 << 20, CPUShares: 512, CPUQuota: 50000,
		CgroupsPath: PodCgroup("uid", "web")})
	caps := spec.Process.Capabilities.Bounding
	if !slices.Contains(caps, "CAP_NET_ADMIN") || slices.Contains(caps, "CAP_KILL") || slices.Contains(caps, "CAP_SYS_ADMIN") {
		t.Errorf("capabilities %v", caps)
	}
	var netns *specs.LinuxNamespace
	for i, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			netns = &spec.Linux.Namespaces[i]
		}
	}
	if netns == nil || netns.Path != "/run/netns/p" {
		t.Errorf("network namespace %+v", netns)
	}
	if *spec.Linux.Resources.Memory.Limit != 64<<20 || *spec.Linux.Resources.CPU.Shares != 512 || *spec.Linux.Resources.CPU.Quota != 50000 {
		t.Errorf("resources %+v", spec.Linux.Resources)
	}
	if spec.Linux.CgroupsPath != "/kybernetes/poduid/web" || spec.Process.User.UID != 1000 || spec.Process.OOMScoreAdj != nil {
		t.Errorf("cgroups %s user %+v oom %v", spec.Linux.CgroupsPath, spec.Process.User, spec.Process.OOMScoreAdj)
	}
	if len(spec.Linux.MaskedPaths) == 0 {
		t.Error("kernel paths not masked for an unprivileged container")
	}
	if drop := BuildSpec(SpecInput{DropCapabilities: []string{"ALL"}}); len(drop.Process.Capabilities.Bounding) != 0 {
		t.Errorf("drop ALL left %v", drop.Process.Capabilities.Bounding)
	}
	if priv := BuildSpec(SpecInput{Privileged: true}); !slices.Contains(priv.Process.Capabilities.Bounding, "CAP_SYS_ADMIN") || len(priv.Linux.MaskedPaths) != 0 {
		t.Error("a privileged container is not privileged")
	}
}

// The shim writes the CRI log format: time, stream, F for a whole line, P
// for a line cut by the end of the stream.
func TestCopyLog(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	copyLog(strings.NewReader("one\ntwo\nthree"), "stdout", &out, &mu)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("log %q", out.String())
	}
	for i, want := range []string{" stdout F one", " stdout F two", " stdout P three"} {
		if !strings.HasSuffix(lines[i], want) {
			t.Errorf("line %d %q, want ...%q", i, lines[i], want)
		}
	}
}

func TestRuncError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runc.log")
	log := `{"level":"info","msg":"starting"}` + "\n" + `{"level":"error","msg":"exec: \"/nope\": no such file"}` + "\n"
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := runcError(path); got != `exec: "/nope": no such file` {
		t.Errorf("runcError = %q", got)
	}
}
