package kubelet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kybernetes/kybernetes/kubelet/runtime"
)

// Reset stops what a stopped kubelet left running under rootDir, the way
// a reboot would: every container runc knows there is killed and deleted,
// every mount under rootDir (root filesystems, volumes, the pins of pod
// network namespaces) is undone and the pods' cgroups (under cgroupRoot)
// are removed. The
// kubelet's records stay: started again on rootDir, it finds its pods'
// containers gone and starts them again as their restart policy says.
func Reset(ctx context.Context, runc, rootDir, cgroupRoot string) error {
	var errs []error
	r := &runtime.Runc{Binary: runc, Root: filepath.Join(rootDir, "runc")}
	for _, id := range r.List(ctx) {
		if err := r.Remove(ctx, id, ""); err != nil {
			errs = append(errs, err)
		}
	}
	mounts, err := mountsUnder(rootDir)
	if err != nil {
		errs = append(errs, err)
	}
	for _, m := range mounts {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", m, err))
		}
	}
	pods, _ := os.ReadDir(filepath.Join(rootDir, "pods"))
	for _, p := range pods {
		if err := runtime.RemovePodCgroupsUnder(cgroupRoot, p.Name()); err != nil {
			errs = append(errs, err)
		}
	}
	// The node's own cgroup goes too, once empty (it is only the node's
	// when not the default parent, which other kubelets may share).
	if cgroupRoot != runtime.DefaultCgroupParent {
		dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", cgroupRoot))
		for _, dir := range append(dirs, filepath.Join("/sys/fs/cgroup", cgroupRoot)) {
			_ = os.Remove(dir) // rmdir: fails, harmlessly, while a pod's is inside
		}
	}
	return errors.Join(errs...)
}

// mountsUnder lists the mount points at or below dir, deepest first, from
// /proc/self/mountinfo.
func mountsUnder(dir string) ([]string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		dir = resolved
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 5 {
			continue
		}
		point := unescapeMountPoint(fields[4])
		if point == dir || strings.HasPrefix(point, dir+"/") {
			out = append(out, point)
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return strings.Count(out[i], "/") > strings.Count(out[j], "/") })
	return out, nil
}

// unescapeMountPoint undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPoint(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
