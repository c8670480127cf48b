package pods

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// volumeMounts are the container's volume mounts as bind mounts of
// directories the kubelet prepares under the pod's directory: emptyDir,
// hostPath, configMap and secret volumes. Other kinds are refused with a
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
		source, err := m.prepareVolume(ctx, pod, volume)
		if err != nil {
			return nil, err
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
		if vm.ReadOnly {
			options = []string{"rbind", "ro"}
		}
		mounts = append(mounts, specs.Mount{Destination: vm.MountPath, Type: "bind", Source: source, Options: options})
	}
	return mounts, nil
}

// prepareVolume makes the volume's directory on the node and returns it.
func (m *Manager) prepareVolume(ctx context.Context, pod *corev1.Pod, v *corev1.Volume) (string, error) {
	base := filepath.Join(m.podDir(pod.UID), "volumes")
	switch {
	case v.EmptyDir != nil:
		dir := filepath.Join(base, "empty-dir", v.Name)
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return "", err
		}
		return dir, os.Chmod(dir, 0o777)
	case v.HostPath != nil:
		t := corev1.HostPathUnset
		if v.HostPath.Type != nil {
			t = *v.HostPath.Type
		}
		info, err := os.Stat(v.HostPath.Path)
		switch {
		case t == corev1.HostPathDirectoryOrCreate && os.IsNotExist(err):
			return v.HostPath.Path, os.MkdirAll(v.HostPath.Path, 0o755)
		case t == corev1.HostPathFileOrCreate && os.IsNotExist(err):
			return v.HostPath.Path, os.WriteFile(v.HostPath.Path, nil, 0o644)
		case t == corev1.HostPathDirectory && (err != nil || !info.IsDir()):
			return "", &configError{fmt.Sprintf("hostPath type check failed: %s is not a directory", v.HostPath.Path)}
		case t == corev1.HostPathFile && (err != nil || !info.Mode().IsRegular()):
			return "", &configError{fmt.Sprintf("hostPath type check failed: %s is not a file", v.HostPath.Path)}
		}
		return v.HostPath.Path, nil
	case v.ConfigMap != nil:
		cm, err := m.Client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
		if err != nil {
			return "", &configError{fmt.Sprintf("MountVolume.SetUp failed for volume %q : configmap %q not found", v.Name, v.ConfigMap.Name)}
		}
		files := map[string][]byte{}
		for k, val := range cm.Data {
			files[k] = []byte(val)
		}
		for k, val := range cm.BinaryData {
			files[k] = val
		}
		return writeFiles(filepath.Join(base, "configmap", v.Name), files, v.ConfigMap.Items)
	case v.Secret != nil:
		s, err := m.Client.CoreV1().Secrets(pod.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
		if err != nil {
			return "", &configError{fmt.Sprintf("MountVolume.SetUp failed for volume %q : secret %q not found", v.Name, v.Secret.SecretName)}
		}
		return writeFiles(filepath.Join(base, "secret", v.Name), s.Data, v.Secret.Items)
	}
	return "", &configError{fmt.Sprintf("volume %q: this volume type is not supported by this kubelet yet", v.Name)}
}

// writeFiles writes the keys (or the items chosen) as files of dir.
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
	for key, path := range paths {
		data, ok := files[key]
		if !ok {
			return "", &configError{fmt.Sprintf("couldn't find key %s", key)}
		}
		target := filepath.Join(dir, filepath.Clean("/"+path))
		if !strings.HasPrefix(target, dir) {
			return "", &configError{fmt.Sprintf("item path %q leaves the volume", path)}
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}
