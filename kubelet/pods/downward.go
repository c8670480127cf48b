package pods

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kybernetes/kybernetes/kubelet/node"
)

// resourceValue is the downward API's value of a container's resource
// (env resourceFieldRef, downwardAPI volume items), as upstream computes
// it: the quantity divided by the divisor, rounded up; a limit the
// container does not set is the node's allocatable.
func resourceValue(pod *corev1.Pod, defaultContainer string, ref *corev1.ResourceFieldSelector) (string, error) {
	name := ref.ContainerName
	if name == "" {
		name = defaultContainer
	}
	var c *corev1.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			c = &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			c = &pod.Spec.InitContainers[i]
		}
	}
	if c == nil {
		return "", &configError{fmt.Sprintf("container %q not found in the pod for resourceFieldRef %s", name, ref.Resource)}
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	kind, res, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", &configError{fmt.Sprintf("unsupported container resource %q", ref.Resource)}
	}
	list := c.Resources.Requests
	if kind == "limits" {
		list = c.Resources.Limits
	}
	q, set := list[corev1.ResourceName(res)]
	if !set && kind == "limits" {
		q, set = allocatable(corev1.ResourceName(res))
	}
	if !set {
		q = resource.Quantity{}
	}
	if corev1.ResourceName(res) == corev1.ResourceCPU {
		return fmt.Sprint(int64(math.Ceil(float64(q.MilliValue()) / float64(divisor.MilliValue())))), nil
	}
	return fmt.Sprint(int64(math.Ceil(float64(q.Value()) / float64(divisor.Value())))), nil
}

// allocatable is the node's share of a resource for a container without a
// limit: all of it, as this kubelet reserves nothing.
func allocatable(name corev1.ResourceName) (resource.Quantity, bool) {
	switch name {
	case corev1.ResourceCPU:
		return *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI), true
	case corev1.ResourceMemory:
		return *resource.NewQuantity(node.MemTotal(), resource.BinarySI), true
	}
	return resource.Quantity{}, false
}

// formatMap writes labels or annotations as a downwardAPI file holds them:
// one key="value" line each, sorted, no newline at the end.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("%s=%q", k, m[k]))
	}
	return strings.Join(lines, "\n")
}

// downwardFiles are the files of a downwardAPI volume (or projection):
// path → content.
func downwardFiles(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, it := range items {
		var value string
		switch {
		case it.FieldRef != nil && it.FieldRef.FieldPath == "metadata.labels":
			value = formatMap(pod.Labels)
		case it.FieldRef != nil && it.FieldRef.FieldPath == "metadata.annotations":
			value = formatMap(pod.Annotations)
		case it.FieldRef != nil:
			v, err := podField(pod, it.FieldRef.FieldPath, "", "")
			if err != nil {
				return nil, err
			}
			value = v
		case it.ResourceFieldRef != nil:
			v, err := resourceValue(pod, "", it.ResourceFieldRef)
			if err != nil {
				return nil, err
			}
			value = v
		default:
			return nil, &configError{fmt.Sprintf("downwardAPI item %q names neither a field nor a resource", it.Path)}
		}
		files[it.Path] = []byte(value)
	}
	return files, nil
}
