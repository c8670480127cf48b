package limitranger

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/core"
)

func list(pairs ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		l[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return l
}

// plugin returns a plugin whose namespace "ns" holds ranges. Its informer
// stays empty, so the ranges come through the live lookup, as for a
// LimitRange created a moment before the pod.
func plugin(t *testing.T, items ...corev1.LimitRangeItem) *Plugin {
	t.Helper()
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "limits", Namespace: "ns"}, Spec: corev1.LimitRangeSpec{Limits: items}}
	core.SetDefaultsLimitRange(lr)
	p := New()
	p.SetExternalKubeClientSet(fake.NewClientset(lr))
	p.SetExternalKubeInformerFactory(informers.NewSharedInformerFactory(fake.NewClientset(), 0))
	p.SetReadyFunc(func() bool { return true })
	if err := p.ValidateInitialization(); err != nil {
		t.Fatal(err)
	}
	return p
}

func attrs(obj runtime.Object, name, resourceName, kind string, op admission.Operation) admission.Attributes {
	return admission.NewAttributesRecord(obj, nil, corev1.SchemeGroupVersion.WithKind(kind), "ns", name,
		corev1.SchemeGroupVersion.WithResource(resourceName), "", op, &metav1.CreateOptions{}, false, nil)
}

func admitPod(t *testing.T, p *Plugin, pod *corev1.Pod) error {
	t.Helper()
	a := attrs(pod, pod.Name, "pods", "Pod", admission.Create)
	if err := p.Admit(context.Background(), a, nil); err != nil {
		return err
	}
	return p.Validate(context.Background(), a, nil)
}

func TestDefaultsFilledAndAnnotated(t *testing.T) {
	p := plugin(t, corev1.LimitRangeItem{Type: corev1.LimitTypeContainer,
		Default: list("cpu", "500m", "memory", "256Mi"), DefaultRequest: list("cpu", "100m")})
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "setup", Resources: corev1.ResourceRequirements{Limits: list("memory", "64Mi"), Requests: list("memory", "64Mi")}}},
		Containers:     []corev1.Container{{Name: "web"}},
	}}
	if err := admitPod(t, p, pod); err != nil {
		t.Fatal(err)
	}
	web := pod.Spec.Containers[0].Resources
	// memory has a default limit and no default request: the request
	// defaults to the limit (LimitRange defaulting), as upstream.
	if web.Limits.Cpu().String() != "500m" || web.Limits.Memory().String() != "256Mi" ||
		web.Requests.Cpu().String() != "100m" || web.Requests.Memory().String() != "256Mi" {
		t.Fatalf("web resources: %+v", web)
	}
	setup := pod.Spec.InitContainers[0].Resources
	if setup.Limits.Memory().String() != "64Mi" || setup.Limits.Cpu().String() != "500m" {
		t.Fatalf("init container resources: %+v", setup)
	}
	want := "LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web; " +
		"cpu request for init container setup; cpu limit for init container setup"
	if got := pod.Annotations[annotation]; got != want {
		t.Fatalf("annotation\n got %q\nwant %q", got, want)
	}
}

func TestMinMaxAndRatioRefused(t *testing.T) {
	p := plugin(t,
		corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: list("cpu", "100m"), Max: list("cpu", "1", "memory", "1Gi"),
			MaxLimitRequestRatio: list("memory", "2")},
		corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: list("cpu", "1500m")},
	)
	cases := []struct {
		name      string
		resources corev1.ResourceRequirements
		want      []string
	}{
		{"over max", corev1.ResourceRequirements{Limits: list("cpu", "2", "memory", "1Gi"), Requests: list("cpu", "2", "memory", "1Gi")},
			[]string{"maximum cpu usage per Container is 1, but limit is 2", "maximum cpu usage per Pod is 1500m, but limit is 2"}},
		{"under min", corev1.ResourceRequirements{Limits: list("cpu", "50m", "memory", "1Gi"), Requests: list("cpu", "50m", "memory", "1Gi")},
			[]string{"minimum cpu usage per Container is 100m, but request is 50m"}},
		{"ratio", corev1.ResourceRequirements{Limits: list("cpu", "200m", "memory", "1Gi"), Requests: list("cpu", "200m", "memory", "256Mi")},
			[]string{"memory max limit to request ratio per Container is 2, but provided ratio is 4.000000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: c.resources}}}}
			err := admitPod(t, p, pod)
			if err == nil {
				t.Fatal("admitted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), `pods "p" is forbidden: `) {
				t.Errorf("error %q is not upstream's forbidden", err)
			}
		})
	}
	// A container without resources gets its limits from max and its
	// requests from those limits (ratio 1): it fits.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "fits"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	if err := admitPod(t, p, pod); err != nil {
		t.Fatalf("a pod defaulted from max refused: %v", err)
	}
}

func TestSidecarsCountTowardsThePod(t *testing.T) {
	p := plugin(t, corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: list("memory", "1Gi")})
	always := ptr.To(corev1.ContainerRestartPolicyAlways)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "proxy", RestartPolicy: always, Resources: corev1.ResourceRequirements{Limits: list("memory", "512Mi")}}},
		Containers:     []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Limits: list("memory", "768Mi")}}},
	}}
	err := admitPod(t, p, pod)
	if err == nil || !strings.Contains(err.Error(), "maximum memory usage per Pod is 1Gi, but limit is 1280Mi") {
		t.Fatalf("err = %v", err)
	}
}

func TestClaims(t *testing.T) {
	p := plugin(t, corev1.LimitRangeItem{Type: corev1.LimitTypePersistentVolumeClaim, Min: list("storage", "1Gi"), Max: list("storage", "10Gi")})
	claim := func(size string) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"}}
		if size != "" {
			c.Spec.Resources.Requests = list("storage", size)
		}
		return c
	}
	for size, want := range map[string]string{
		"20Gi":  "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi",
		"500Mi": "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi",
		"5Gi":   "",
	} {
		err := p.Validate(context.Background(), attrs(claim(size), "data", "persistentvolumeclaims", "PersistentVolumeClaim", admission.Update), nil)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("claim of %s: %v, want %q", size, err, want)
		}
	}
}

// A pod update is not looked at: containers cannot change after create.
func TestPodUpdatesPass(t *testing.T) {
	p := plugin(t, corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: list("cpu", "1")})
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	if err := p.Validate(context.Background(), attrs(pod, "p", "pods", "Pod", admission.Update), nil); err != nil {
		t.Fatal(err)
	}
}
