package runtime

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel's OOM killer leaves a trace only in the container's memory
// cgroup, which runc removes as the container ends — before anyone could
// look. So the shim watches the cgroup while the container runs: on cgroup
// v1 through memory.oom_control's event notification (an eventfd the
// kernel signals when the cgroup runs out of memory), on v2 by reading
// memory.events. A container that was SIGKILLed after such an event was
// OOMKilled, as containerd reports it.

// oomWatch says whether the container's cgroup saw an OOM kill.
type oomWatch struct{ killed atomic.Bool }

func (w *oomWatch) OOMKilled() bool { return w != nil && w.killed.Load() }

// watchOOM starts watching the memory cgroup at cgroupsPath (as the OCI
// spec names it) until stop is closed.
func watchOOM(cgroupsPath string, stop <-chan struct{}) *oomWatch {
	w := &oomWatch{}
	if cgroupsPath == "" {
		return w
	}
	v1 := filepath.Join("/sys/fs/cgroup/memory", cgroupsPath)
	v2 := filepath.Join("/sys/fs/cgroup", cgroupsPath)
	go func() {
		// runc makes the cgroup as it starts the container.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := os.Stat(filepath.Join(v1, "memory.oom_control")); err == nil {
				w.watchV1(v1, stop)
				return
			}
			if _, err := os.Stat(filepath.Join(v2, "memory.events")); err == nil {
				w.watchV2(v2, stop)
				return
			}
		}
	}()
	return w
}

func (w *oomWatch) watchV1(dir string, stop <-chan struct{}) {
	control, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return
	}
	defer control.Close()
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK) // pollable: closing it ends a read
	if err != nil {
		return
	}
	event := os.NewFile(uintptr(efd), "oom-eventfd")
	defer event.Close()
	registration := []byte(strconv.Itoa(efd) + " " + strconv.Itoa(int(control.Fd())))
	if err := os.WriteFile(filepath.Join(dir, "cgroup.event_control"), registration, 0); err != nil {
		return
	}
	go func() {
		<-stop
		event.Close() // ends the read below
	}()
	buf := make([]byte, 8)
	for {
		if _, err := event.Read(buf); err != nil || binary.LittleEndian.Uint64(buf) == 0 {
			return
		}
		// Signalled at an OOM, and when the cgroup goes: only the kill
		// count tells them apart, and it is counted just after the
		// notification.
		for range 20 {
			if n, ok := v1Counter(control, "oom_kill"); ok && n > 0 {
				w.killed.Store(true)
				return
			}
			if _, err := os.Stat(dir); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// v1Counter reads one "name value" line of an open cgroup file (v1's
// memory.oom_control, v2's memory.events).
func v1Counter(f *os.File, name string) (uint64, bool) {
	buf := make([]byte, 4096)
	n, err := f.ReadAt(buf, 0)
	if err != nil && n == 0 {
		return 0, false
	}
	scanner := bufio.NewScanner(bytes.NewReader(buf[:n]))
	for scanner.Scan() {
		fields := bytes.Fields(scanner.Bytes())
		if len(fields) == 2 && string(fields[0]) == name {
			v, err := strconv.ParseUint(string(fields[1]), 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}

func (w *oomWatch) watchV2(dir string, stop <-chan struct{}) {
	events, err := os.Open(filepath.Join(dir, "memory.events"))
	if err != nil {
		return
	}
	defer events.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		n, ok := v1Counter(events, "oom_kill")
		if ok && n > 0 {
			w.killed.Store(true)
			return
		}
		if _, err := os.Stat(dir); !ok && err != nil {
			return // the cgroup is gone
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}
