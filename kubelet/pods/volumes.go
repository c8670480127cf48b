package pods

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// volumeMounts are the container's volume mounts as bind mounts of
// directories the kubelet prepares under the pod's directory: emptyDir,
// hostPath, configMap, secret, downwardAPI and projected volumes. Other kinds are refused with a
// clear message until they are supported.
func (m *Manager) volumeMounts(ctx context.Context, pod *corev1.Pod, c *corev1.Container) ([]specs.Mount, error) {
	var mounts []specs.Mount
	for _, vm := range c.VolumeMounts {
		var volume *corev1.Volume
		for i := range pod.Spec.Volumes {
			if pod.Spec.Volumes[i].Name == vm.Name {
				volume = &pod.Spec.Volumes[i]
			}
		}
		if volume == nil {
			return nil, &configError{fmt.Sprintf("volume %q not found in the pod", vm.Name)}
		}
		source, readOnly, err := m.prepareVolume(ctx, pod, volume)
		if err != nil {
			return nil, &mountError{volume: volume.Name, err: err}
		}
		if vm.SubPath != "" {
			source = filepath.Join(source, filepath.Clean("/"+vm.SubPath))
			if _, err := os.Stat(source); os.IsNotExist(err) {
				if err := os.MkdirAll(source, 0o777); err != nil {
					return nil, err
				}
			}
		}
		options := []string{"rbind", "rw"}
		if vm.ReadOnly || readOnly {
			options = []string{"rbind", "ro"}
		}
		mounts = append(mounts, specs.Mount{Destination: vm.MountPath, Type: "bind", Source: source, Options: options})
	}
	return mounts, nil
}

// prepareVolume makes the volume's directory on the node and returns it,
// and whether it must be mounted read-only. With the pod's fsGroup, the
// volumes whose ownership the kubelet manages get that group, as
// upstream's SetVolumeOwnership gives it.
func (m *Manager) prepareVolume(ctx context.Context, pod *corev1.Pod, v *corev1.Volume) (string, bool, error) {
	dir, readOnly, err := m.prepareVolumeDir(ctx, pod, v)
	if err != nil || m.Hollow || pod.Spec.SecurityContext == nil || pod.Spec.SecurityContext.FSGroup == nil {
		return dir, readOnly, err
	}
	switch {
	case v.EmptyDir != nil:
		err = setVolumeOwnership(dir, *pod.Spec.SecurityContext.FSGroup, false)
	case v.ConfigMap != nil, v.Secret != nil, v.DownwardAPI != nil, v.Projected != nil:
		err = setVolumeOwnership(dir, *pod.Spec.SecurityContext.FSGroup, true)
	}
	return dir, readOnly, err
}

// setVolumeOwnership gives every file of dir the group gid and the group
// the owner's read (and, unless the volume is read-only, write) access;
// directories also get the setgid bit, so that new files take the group.
// Symbolic links get the group but keep their mode.
func setVolumeOwnership(dir string, gid int64, readOnly bool) error {
	mask := os.FileMode(0o660)
	if readOnly {
		mask = 0o440
	}
	return filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, -1, int(gid)); err != nil {
			return err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			return nil
		}
		mode := info.Mode() | mask
		if info.IsDir() {
			mode |= os.ModeSetgid | 0o110
		}
		return os.Chmod(path, mode)
	})
}

// prepareVolumeDir makes the volume's directory on the node.
func (m *Manager) prepareVolumeDir(ctx context.Context, pod *corev1.Pod, v *corev1.Volume) (string, bool, error) {
	base := filepath.Join(m.podDir(pod.UID), "volumes")
	switch {
	case v.EmptyDir != nil:
		dir := filepath.Join(base, "empty-dir", v.Name)
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return "", false, err
		}
		if v.EmptyDir.Medium == corev1.StorageMediumMemory {
			var limit int64
			if v.EmptyDir.SizeLimit != nil {
				limit = v.EmptyDir.SizeLimit.Value()
			}
			if err := m.memoryBacked(dir, limit); err != nil {
				return "", false, err
			}
		}
		return dir, false, os.Chmod(dir, 0o777)
	case v.HostPath != nil:
		return v.HostPath.Path, false, m.checkHostPath(v.HostPath.Path, v.HostPath.Type)
	case v.ConfigMap != nil:
		cm, err := m.Client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
		if err != nil {
			return "", false, &configError{fmt.Sprintf("configmap %q not found", v.ConfigMap.Name)}
		}
		files := map[string][]byte{}
		for k, val := range cm.Data {
			files[k] = []byte(val)
		}
		for k, val := range cm.BinaryData {
			files[k] = val
		}
		dir, err := writeFiles(filepath.Join(base, "configmap", v.Name), files, v.ConfigMap.Items)
		return dir, false, err
	case v.Secret != nil:
		s, err := m.Client.CoreV1().Secrets(pod.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
		if err != nil {
			return "", false, &configError{fmt.Sprintf("secret %q not found", v.Secret.SecretName)}
		}
		dir := filepath.Join(base, "secret", v.Name)
		if err := m.memoryBacked(dir, 0); err != nil {
			return "", false, err
		}
		dir, err = writeFiles(dir, s.Data, v.Secret.Items)
		return dir, false, err
	case v.DownwardAPI != nil:
		files, err := downwardFiles(pod, v.DownwardAPI.Items)
		if err != nil {
			return "", false, err
		}
		dir, err := writeFiles(filepath.Join(base, "downward-api", v.Name), files, nil)
		return dir, false, err
	case v.Projected != nil:
		files, err := m.projectedFiles(ctx, pod, v)
		if err != nil {
			return "", false, err
		}
		// Projections may hold secrets: in memory, as secret volumes.
		dir := filepath.Join(base, "projected", v.Name)
		if err := m.memoryBacked(dir, 0); err != nil {
			return "", false, err
		}
		dir, err = writeFiles(dir, files, nil)
		return dir, false, err
	case v.PersistentVolumeClaim != nil:
		path, err := m.claimPath(ctx, pod, v.PersistentVolumeClaim.ClaimName)
		return path, v.PersistentVolumeClaim.ReadOnly, err
	}
	return "", false, errors.New("this volume type is not supported by this kubelet yet")
}

// checkHostPath makes or checks a host path as its type says. Hollow nodes
// leave the machine's file system alone, as kubemark's fake host path
// plugin does.
func (m *Manager) checkHostPath(path string, hostPathType *corev1.HostPathType) error {
	if m.Hollow {
		return nil
	}
	t := ptr.Deref(hostPathType, corev1.HostPathUnset)
	info, err := os.Stat(path)
	switch {
	case t == corev1.HostPathDirectoryOrCreate && os.IsNotExist(err):
		return os.MkdirAll(path, 0o755)
	case t == corev1.HostPathFileOrCreate && os.IsNotExist(err):
		return os.WriteFile(path, nil, 0o644)
	case t == corev1.HostPathDirectory && (err != nil || !info.IsDir()):
		return fmt.Errorf("hostPath type check failed: %s is not a directory", path)
	case t == corev1.HostPathFile && (err != nil || !info.Mode().IsRegular()):
		return fmt.Errorf("hostPath type check failed: %s is not a file", path)
	case t == corev1.HostPathSocket && (err != nil || info.Mode()&os.ModeSocket == 0):
		return fmt.Errorf("hostPath type check failed: %s is not a socket file", path)
	case t == corev1.HostPathCharDev && (err != nil || info.Mode()&os.ModeCharDevice == 0):
		return fmt.Errorf("hostPath type check failed: %s is not a character device", path)
	case t == corev1.HostPathBlockDev && (err != nil || info.Mode()&os.ModeDevice == 0 || info.Mode()&os.ModeCharDevice != 0):
		return fmt.Errorf("hostPath type check failed: %s is not a block device", path)
	}
	return nil
}

// claimPath is the directory of the persistent volume bound to the claim:
// a hostPath or local volume, the kinds a single machine has.
func (m *Manager) claimPath(ctx context.Context, pod *corev1.Pod, claimName string) (string, error) {
	claim, err := m.Client.CoreV1().PersistentVolumeClaims(pod.Namespace).Get(ctx, claimName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("error processing PVC %s/%s: failed to fetch PVC from API server: %w", pod.Namespace, claimName, err)
	}
	if claim.Spec.VolumeName == "" || claim.Status.Phase != corev1.ClaimBound {
		return "", fmt.Errorf("error processing PVC %s/%s: PVC is not bound", pod.Namespace, claimName)
	}
	pv, err := m.Client.CoreV1().PersistentVolumes().Get(ctx, claim.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("error processing PVC %s/%s: failed to fetch PV %s from API server: %w", pod.Namespace, claimName, claim.Spec.VolumeName, err)
	}
	switch {
	case pv.Spec.HostPath != nil:
		return pv.Spec.HostPath.Path, m.checkHostPath(pv.Spec.HostPath.Path, pv.Spec.HostPath.Type)
	case pv.Spec.Local != nil && m.Hollow:
		return pv.Spec.Local.Path, nil
	case pv.Spec.Local != nil:
		// A local volume must be there already: it is a disk or directory
		// the operator made, never created by the kubelet.
		if _, err := os.Stat(pv.Spec.Local.Path); err != nil {
			return "", fmt.Errorf("local volume %s: path %q does not exist", pv.Name, pv.Spec.Local.Path)
		}
		return pv.Spec.Local.Path, nil
	}
	return "", fmt.Errorf("persistent volume %s: only hostPath and local volumes can be mounted on this node", pv.Name)
}

// writeFiles writes the keys (or the items chosen) into dir the way
// upstream's atomic writer does, so that a container never sees half an
// update: the files live in a timestamped directory, "..data" is a
// symlink to it swapped by a rename, and each visible name is a symlink
// through "..data". Unchanged content is left alone.
func writeFiles(dir string, files map[string][]byte, items []corev1.KeyToPath) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	paths := map[string]string{}
	if len(items) == 0 {
		for k := range files {
			paths[k] = k
		}
	}
	for _, it := range items {
		paths[it.Key] = it.Path
	}
	payload := map[string][]byte{}
	for key, path := range paths {
		data, ok := files[key]
		if !ok {
			return "", &configError{fmt.Sprintf("couldn't find key %s", key)}
		}
		clean := strings.TrimPrefix(filepath.Clean("/"+path), "/")
		if clean == "" || strings.HasPrefix(clean, "..") {
			return "", &configError{fmt.Sprintf("item path %q is not allowed", path)}
		}
		payload[clean] = data
	}
	if same(dir, payload) {
		return dir, nil
	}
	stamp := ".." + time.Now().UTC().Format("2006_01_02_15_04_05.000000000")
	for path, data := range payload {
		target := filepath.Join(dir, stamp, path)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return "", err
		}
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(stamp, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		return "", err
	}
	top := map[string]bool{}
	for path := range payload {
		top[strings.SplitN(path, "/", 2)[0]] = true
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "..") && !top[e.Name()] {
			_ = os.Remove(filepath.Join(dir, e.Name())) // a key no longer there
		}
	}
	for name := range top {
		link := filepath.Join(dir, name)
		if target, err := os.Readlink(link); err == nil && target == filepath.Join("..data", name) {
			continue
		}
		_ = os.RemoveAll(link)
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			return "", err
		}
	}
	if old != "" && old != stamp {
		_ = os.RemoveAll(filepath.Join(dir, old))
	}
	return dir, nil
}

// same says whether dir already holds exactly payload.
func same(dir string, payload map[string][]byte) bool {
	current := map[string][]byte{}
	base := filepath.Join(dir, "..data")
	if _, err := os.Stat(base); err != nil {
		return false
	}
	err := filepath.Walk(base+"/", func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		current[strings.TrimPrefix(path, base+"/")] = data
		return err
	})
	if err != nil || len(current) != len(payload) {
		return false
	}
	for k, v := range payload {
		if string(current[k]) != string(v) {
			return false
		}
	}
	return true
}

// memoryBacked mounts a tmpfs on dir unless one is there: secrets are never
// written to disk, and emptyDir with medium Memory lives in memory. Hollow
// nodes mount nothing: the files of their pods are never read.
func (m *Manager) memoryBacked(dir string, sizeLimit int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil || m.Hollow {
		return err
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err == nil && fs.Type == unix.TMPFS_MAGIC {
		return nil
	}
	options := "mode=0755"
	if sizeLimit > 0 {
		options += fmt.Sprintf(",size=%d", sizeLimit)
	}
	return unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, options)
}

// unmountVolumes unmounts the pod's memory-backed volumes, so that its
// directory can go.
func unmountVolumes(podDir string) {
	for _, pattern := range []string{"secret/*", "empty-dir/*", "projected/*"} {
		dirs, _ := filepath.Glob(filepath.Join(podDir, "volumes", pattern))
		for _, d := range dirs {
			_ = unix.Unmount(d, unix.MNT_DETACH)
		}
	}
}

// refreshVolumes rewrites the pod's configMap, secret, downwardAPI and
// projected volumes from the API, so that running containers see updates (not through subPath, as
// upstream).
func (m *Manager) refreshVolumes(ctx context.Context, pod *corev1.Pod) {
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if v.ConfigMap == nil && v.Secret == nil && v.DownwardAPI == nil && v.Projected == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(m.podDir(pod.UID), "volumes")); err != nil {
			return // nothing mounted yet
		}
		if _, _, err := m.prepareVolume(ctx, pod, v); err != nil {
			klog.V(2).InfoS("refreshing a volume", "pod", klog.KObj(pod), "volume", v.Name, "err", err)
		}
	}
}

// projectedFiles gathers a projected volume's sources into one set of
// files: configMaps and secrets (their items, or all keys; a missing
// optional one contributes nothing) and downward API items.
func (m *Manager) projectedFiles(ctx context.Context, pod *corev1.Pod, v *corev1.Volume) (map[string][]byte, error) {
	files := map[string][]byte{}
	add := func(data map[string][]byte, items []corev1.KeyToPath) error {
		if len(items) == 0 {
			for k, val := range data {
				files[k] = val
			}
			return nil
		}
		for _, it := range items {
			val, ok := data[it.Key]
			if !ok {
				return &configError{fmt.Sprintf("couldn't find key %s", it.Key)}
			}
			files[it.Path] = val
		}
		return nil
	}
	for _, src := range v.Projected.Sources {
		switch {
		case src.ConfigMap != nil:
			cm, err := m.Client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, src.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				if src.ConfigMap.Optional != nil && *src.ConfigMap.Optional {
					continue
				}
				return nil, &configError{fmt.Sprintf("configmap %q not found", src.ConfigMap.Name)}
			}
			data := map[string][]byte{}
			for k, val := range cm.Data {
				data[k] = []byte(val)
			}
			for k, val := range cm.BinaryData {
				data[k] = val
			}
			if err := add(data, src.ConfigMap.Items); err != nil {
				return nil, err
			}
		case src.Secret != nil:
			s, err := m.Client.CoreV1().Secrets(pod.Namespace).Get(ctx, src.Secret.Name, metav1.GetOptions{})
			if err != nil {
				if src.Secret.Optional != nil && *src.Secret.Optional {
					continue
				}
				return nil, &configError{fmt.Sprintf("secret %q not found", src.Secret.Name)}
			}
			if err := add(s.Data, src.Secret.Items); err != nil {
				return nil, err
			}
		case src.DownwardAPI != nil:
			data, err := downwardFiles(pod, src.DownwardAPI.Items)
			if err != nil {
				return nil, err
			}
			for k, val := range data {
				files[k] = val
			}
		case src.ServiceAccountToken != nil:
			if pod.Spec.ServiceAccountName == "" {
				return nil, &configError{fmt.Sprintf("volume %q: a serviceAccountToken projection needs the pod's serviceAccountName", v.Name)}
			}
			token, err := m.Tokens.PodToken(ctx, pod, src.ServiceAccountToken)
			if err != nil {
				return nil, err
			}
			files[src.ServiceAccountToken.Path] = []byte(token)
		default:
			return nil, &configError{fmt.Sprintf("volume %q: this projected volume source (cluster trust bundles, pod certificates) is not supported by this kubelet yet", v.Name)}
		}
	}
	return files, nil
}
