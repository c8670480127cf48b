package main

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// workload is one resource's create/get/update/list/delete cycle.
type workload interface {
	create(ctx context.Context, name string) error
	get(ctx context.Context, name string) error
	update(ctx context.Context, name string) error
	list(ctx context.Context) error
	delete(ctx context.Context, name string) error
}

func newWorkload(resource string, client kubernetes.Interface, namespace string) (workload, error) {
	switch resource {
	case "configmaps":
		return &configMaps{client.CoreV1().ConfigMaps(namespace), map[string]*corev1.ConfigMap{}}, nil
	case "pods":
		return &pods{client.CoreV1().Pods(namespace), map[string]*corev1.Pod{}}, nil
	case "services":
		return &services{client.CoreV1().Services(namespace), map[string]*corev1.Service{}}, nil
	}
	return nil, fmt.Errorf("unknown resource %q: configmaps, pods or services", resource)
}

type configMaps struct {
	c    typedConfigMaps
	last map[string]*corev1.ConfigMap
}

type typedConfigMaps interface {
	Create(context.Context, *corev1.ConfigMap, metav1.CreateOptions) (*corev1.ConfigMap, error)
	Get(context.Context, string, metav1.GetOptions) (*corev1.ConfigMap, error)
	Update(context.Context, *corev1.ConfigMap, metav1.UpdateOptions) (*corev1.ConfigMap, error)
	List(context.Context, metav1.ListOptions) (*corev1.ConfigMapList, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
}

func (w *configMaps) create(ctx context.Context, name string) (err error) {
	w.last[name], err = w.c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name},
		Data: map[string]string{"key": name}}, metav1.CreateOptions{})
	return err
}
func (w *configMaps) get(ctx context.Context, name string) (err error) {
	w.last[name], err = w.c.Get(ctx, name, metav1.GetOptions{})
	return err
}
func (w *configMaps) update(ctx context.Context, name string) error {
	cm := w.last[name]
	cm.Data["updated"] = "yes"
	_, err := w.c.Update(ctx, cm, metav1.UpdateOptions{})
	return err
}
func (w *configMaps) list(ctx context.Context) error {
	_, err := w.c.List(ctx, metav1.ListOptions{Limit: 50})
	return err
}
func (w *configMaps) delete(ctx context.Context, name string) error {
	delete(w.last, name)
	return w.c.Delete(ctx, name, metav1.DeleteOptions{})
}

type typedPods interface {
	Create(context.Context, *corev1.Pod, metav1.CreateOptions) (*corev1.Pod, error)
	Get(context.Context, string, metav1.GetOptions) (*corev1.Pod, error)
	Update(context.Context, *corev1.Pod, metav1.UpdateOptions) (*corev1.Pod, error)
	List(context.Context, metav1.ListOptions) (*corev1.PodList, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
}

type pods struct {
	c    typedPods
	last map[string]*corev1.Pod
}

// realisticPod is about 2 KB as JSON: two containers with ports, env,
// resources, probes and volume mounts, like a typical application pod.
func realisticPod(name string) *corev1.Pod {
	container := func(cname, image, portName string, port int32) corev1.Container {
		return corev1.Container{
			Name: cname, Image: image,
			Ports: []corev1.ContainerPort{{Name: portName, ContainerPort: port}},
			Env: []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
				FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(portName)}}},
			VolumeMounts:   []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}},
		}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "load", "tier": "backend", "name": name},
			Annotations: map[string]string{"load.kybernetes.io/description": strings.Repeat("x", 256)}},
		Spec: corev1.PodSpec{
			Containers:   []corev1.Container{container("app", "registry.example.com/team/app:1.2.3", "http", 8080), container("sidecar", "registry.example.com/team/proxy:4.5.6", "admin", 9090)},
			Volumes:      []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "app-config"}}}}},
			NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
		},
	}
}

func (w *pods) create(ctx context.Context, name string) (err error) {
	w.last[name], err = w.c.Create(ctx, realisticPod(name), metav1.CreateOptions{})
	return err
}
func (w *pods) get(ctx context.Context, name string) (err error) {
	w.last[name], err = w.c.Get(ctx, name, metav1.GetOptions{})
	return err
}

// update changes the image of the pod last read. Against a server that
// schedules (`kybernetes server`), the scheduler may write the pod's
// PodScheduled condition in between: the conflict is retried on a fresh
// read, as any client does.
func (w *pods) update(ctx context.Context, name string) error {
	pod := w.last[name]
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pod.Spec.Containers[0].Image = "registry.example.com/team/app:1.2.4"
		_, err := w.c.Update(ctx, pod, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			if fresh, gerr := w.c.Get(ctx, name, metav1.GetOptions{}); gerr == nil {
				pod = fresh
			}
		}
		return err
	})
}
func (w *pods) list(ctx context.Context) error {
	_, err := w.c.List(ctx, metav1.ListOptions{Limit: 50})
	return err
}
func (w *pods) delete(ctx context.Context, name string) error {
	delete(w.last, name)
	// Unscheduled pods go at once; zero grace keeps it so on any server.
	zero := int64(0)
	return w.c.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
}

type typedServices interface {
	Create(context.Context, *corev1.Service, metav1.CreateOptions) (*corev1.Service, error)
	Get(context.Context, string, metav1.GetOptions) (*corev1.Service, error)
	Update(context.Context, *corev1.Service, metav1.UpdateOptions) (*corev1.Service, error)
	List(context.Context, metav1.ListOptions) (*corev1.ServiceList, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
}

type services struct {
	c    typedServices
	last map[string]*corev1.Service
}

func (w *services) create(ctx context.Context, name string) (err error) {
	w.last[name], err = w.c.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}},
		metav1.CreateOptions{})
	return err
}
func (w *services) get(ctx context.Context, name string) (err error) {
	w.last[name], err = w.c.Get(ctx, name, metav1.GetOptions{})
	return err
}
func (w *services) update(ctx context.Context, name string) error {
	svc := w.last[name]
	svc.Labels = map[string]string{"updated": "yes"}
	_, err := w.c.Update(ctx, svc, metav1.UpdateOptions{})
	return err
}
func (w *services) list(ctx context.Context) error {
	_, err := w.c.List(ctx, metav1.ListOptions{Limit: 50})
	return err
}
func (w *services) delete(ctx context.Context, name string) error {
	delete(w.last, name)
	return w.c.Delete(ctx, name, metav1.DeleteOptions{})
}
