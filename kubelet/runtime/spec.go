package runtime

import (
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SpecInput is a container as the kubelet has resolved it: everything the
// OCI spec needs, with the pod's meaning already applied.
type SpecInput struct {
	Args     []string
	Env      []string
	Cwd      string
	UID, GID uint32
	// AdditionalGIDs are supplementalGroups and fsGroup.
	AdditionalGIDs []uint32
	Hostname       string
	// NetNS is the pod's network namespace; empty for hostNetwork.
	NetNS string
	// Mounts are bind mounts of the pod's files and volumes.
	Mounts           []specs.Mount
	Privileged       bool
	ReadOnlyRoot     bool
	NoNewPrivileges  bool
	AddCapabilities  []string
	DropCapabilities []string
	// MemoryLimit in bytes, CPUShares as cgroup v1 shares, CPUQuota in µs
	// per 100 ms period; 0 means unlimited.
	MemoryLimit int64
	CPUShares   uint64
	CPUQuota    int64
	CgroupsPath string
	// Terminal runs the process on a terminal (the container's tty).
	Terminal bool
}

// defaultCapabilities are what a container has unless its securityContext
// says otherwise: containerd's and Docker's default set.
var defaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// allCapabilities are what a privileged container has.
var allCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
	"CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
}

// capabilities applies a securityContext's add and drop to the defaults,
// with upstream's spelling: NET_ADMIN or CAP_NET_ADMIN, ALL to drop all.
func capabilities(in SpecInput) []string {
	if in.Privileged {
		return slices.Clone(allCapabilities)
	}
	caps := slices.Clone(defaultCapabilities)
	norm := func(c string) string {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		return c
	}
	for _, d := range in.DropCapabilities {
		if norm(d) == "ALL" {
			caps = nil
			break
		}
		caps = slices.DeleteFunc(caps, func(c string) bool { return c == norm(d) })
	}
	for _, a := range in.AddCapabilities {
		if norm(a) == "ALL" {
			return slices.Clone(allCapabilities)
		}
		if !slices.Contains(caps, norm(a)) {
			caps = append(caps, norm(a))
		}
	}
	return caps
}

// BuildSpec is the OCI runtime spec of one container: runc's defaults
// (namespaces, /proc, /dev, /sys, masked and read-only kernel paths), the
// pod's network namespace, and the container's process, mounts, security
// and resources.
func BuildSpec(in SpecInput) *specs.Spec {
	caps := capabilities(in)
	namespaces := []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace}, {Type: specs.MountNamespace}}
	if in.NetNS != "" {
		namespaces = append(namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.NetNS})
	}
	sysOptions := []string{"nosuid", "noexec", "nodev", "ro"}
	if in.Privileged {
		sysOptions = []string{"nosuid", "noexec", "nodev"}
	}
	mounts := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: sysOptions},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
	}
	mounts = append(mounts, in.Mounts...)
	resources := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: in.Privileged, Access: "rwm"}}}
	if in.MemoryLimit > 0 {
		resources.Memory = &specs.LinuxMemory{Limit: &in.MemoryLimit}
	}
	if in.CPUShares > 0 || in.CPUQuota > 0 {
		resources.CPU = &specs.LinuxCPU{}
		if in.CPUShares > 0 {
			resources.CPU.Shares = &in.CPUShares
		}
		if in.CPUQuota > 0 {
			period := uint64(100000)
			resources.CPU.Quota, resources.CPU.Period = &in.CPUQuota, &period
		}
	}
	linux := &specs.Linux{Namespaces: namespaces, Resources: resources, CgroupsPath: in.CgroupsPath}
	if !in.Privileged {
		linux.MaskedPaths = []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}
		linux.ReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
	}
	return &specs.Spec{
		Version:  specs.Version,
		Hostname: in.Hostname,
		Root:     &specs.Root{Path: "rootfs", Readonly: in.ReadOnlyRoot},
		Process: &specs.Process{
			Args: in.Args, Env: in.Env, Cwd: in.Cwd, Terminal: in.Terminal,
			User:            specs.User{UID: in.UID, GID: in.GID, AdditionalGids: in.AdditionalGIDs},
			NoNewPrivileges: in.NoNewPrivileges,
			Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
			// No oomScoreAdj and no rlimits: a kubelet that cannot lower
			// its own (a container, some VMs) would make runc fail.
		},
		Mounts: mounts,
		Linux:  linux,
	}
}
