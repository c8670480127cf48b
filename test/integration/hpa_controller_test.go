package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/kubelet"
	"github.com/kybernetes/kybernetes/kubelet/stats"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// autoscalingCluster is a control plane whose autoscaler controller syncs
// every second, reading the metrics of one hollow node (the real kubelet
// with the fake runtime, its pods using the CPU their annotations choose)
// scraped every second.
func autoscalingCluster(t *testing.T) (*framework.Server, string) {
	t.Helper()
	controllers := manager.DefaultOptions()
	controllers.HorizontalPodAutoscaler.SyncPeriod = time.Second
	server := framework.Start(t, framework.Setup{Controllers: &controllers, MetricResolution: time.Second})
	node := "hpa-node"
	opts := kubelet.DefaultOptions()
	opts.Runtime, opts.Kubeconfig, opts.HostnameOverride = kubelet.RuntimeFake, server.Options.KubeconfigPath(), node
	opts.NodeIP, opts.Address, opts.Port, opts.RootDir = "127.0.0.1", "127.0.0.1", 0, t.TempDir()
	framework.RunComponent(t, "the hollow kubelet", func(ctx context.Context) error { return kubelet.Run(ctx, opts) })
	return server, node
}

// hollowDeployment runs replicas pods on node, each container requesting
// 100m CPU (none when noRequests) and using what usage's hollow.kybernetes.io
// annotations say (a CPU quantity alone: that much CPU).
func hollowDeployment(t *testing.T, client kubernetes.Interface, ns, name, node string, replicas int32, usage string, noRequests bool) {
	t.Helper()
	resources := corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}
	if noRequests {
		resources = corev1.ResourceRequirements{}
	}
	labels := map[string]string{"app": name}
	_, err := client.AppsV1().Deployments(ns).Create(context.Background(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: hollowUsage(usage)},
				Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "example.test/app:1", Resources: resources}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// hollowUsage reads "cpu" or "cpu,memory" into the hollow annotations.
func hollowUsage(usage string) map[string]string {
	cpu, memory, _ := strings.Cut(usage, ",")
	out := map[string]string{stats.HollowCPUAnnotation: cpu}
	if memory != "" {
		out[stats.HollowMemoryAnnotation] = memory
	}
	return out
}

func cpuAutoscaler(name, target string, minReplicas, maxReplicas, percent int32, behavior *autoscalingv2.HorizontalPodAutoscalerBehavior) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: target},
			MinReplicas:    ptr.To(minReplicas), MaxReplicas: maxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(percent)}}}},
			Behavior: behavior,
		},
	}
}

// waitForAutoscaler polls the autoscaler until done holds (a minute at most).
func waitForAutoscaler(t *testing.T, client kubernetes.Interface, ns, name, what string, done func(*autoscalingv2.HorizontalPodAutoscaler) bool) *autoscalingv2.HorizontalPodAutoscaler {
	t.Helper()
	var last *autoscalingv2.HorizontalPodAutoscaler
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		hpa, err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = hpa
		return done(hpa), nil
	})
	if err != nil {
		t.Fatalf("timed out waiting for %s; last status: %+v", what, last.Status)
	}
	return last
}

func condition(hpa *autoscalingv2.HorizontalPodAutoscaler, kind autoscalingv2.HorizontalPodAutoscalerConditionType) autoscalingv2.HorizontalPodAutoscalerCondition {
	for _, c := range hpa.Status.Conditions {
		if c.Type == kind {
			return c
		}
	}
	return autoscalingv2.HorizontalPodAutoscalerCondition{}
}

// eventsOf are the messages of the events of reason about the autoscaler,
// once there is one (events are written after the status they explain) or
// once until says they are what the test waits for; after 30 s, what there
// is.
func eventsOf(t *testing.T, client kubernetes.Interface, ns, name, reason string, until ...func([]string) bool) []string {
	t.Helper()
	var out []string
	_ = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: fields.Set{
			"involvedObject.kind": "HorizontalPodAutoscaler", "involvedObject.name": name, "reason": reason}.String()})
		if err != nil {
			return false, nil
		}
		out = out[:0]
		for _, e := range list.Items {
			out = append(out, e.Message)
		}
		if len(until) > 0 {
			return until[0](out), nil
		}
		return len(out) > 0, nil
	})
	return out
}

// annotatePods sets the CPU the deployment's running pods use.
func annotatePods(t *testing.T, client kubernetes.Interface, ns, app, cpu string) {
	t.Helper()
	pods, err := client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		t.Fatal(err)
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, stats.HollowCPUAnnotation, cpu)
	for _, p := range pods.Items {
		if _, err := client.CoreV1().Pods(ns).Patch(context.Background(), p.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// A Deployment whose pods use three times their CPU target grows to the
// computed count, capped at the maximum; once they idle, it shrinks only
// after the scale-down stabilization window, and no faster than the
// behavior's policy allows. The status, conditions and events say so with
// upstream's words.
func TestHorizontalPodAutoscalerScalesOnCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own control plane and node")
	}
	server, node := autoscalingCluster(t)
	client := server.Client
	ctx := context.Background()
	ns := "hpa"
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// 150m of 100m requested: 150% against a 50% target, ratio 3.
	hollowDeployment(t, client, ns, "web", node, 1, "150m", false)
	// Scale down after 6 s of low figures, by 2 pods per 5 s at most (a
	// policy counts from the replicas at the start of its period, so the
	// scale-ups must be older than one period when the scale-down comes:
	// the window sees to that).
	const window, period = 6, 5
	behavior := &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](window),
		Policies:                   []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 2, PeriodSeconds: period}},
	}}
	if _, err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, cpuAutoscaler("web", "web", 1, 5, 50, behavior), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	hpa := waitForAutoscaler(t, client, ns, "web", "the first scale-up to 3", func(h *autoscalingv2.HorizontalPodAutoscaler) bool { return h.Status.DesiredReplicas >= 3 })
	if hpa.Status.DesiredReplicas != 3 || hpa.Status.LastScaleTime == nil {
		t.Fatalf("first step: want 3 replicas (1 pod at 150%% of a 50%% target), got %+v", hpa.Status)
	}
	// The defaulted scale-up policies allow 1 → 3 in one step.
	if rescale := eventsOf(t, client, ns, "web", "SuccessfulRescale"); len(rescale) == 0 ||
		rescale[0] != "New size: 3; reason: cpu resource utilization (percentage of request) above target" {
		t.Errorf("SuccessfulRescale events: %q", rescale)
	}

	// Three pods at 150% ask for 9; the maximum is 5.
	hpa = waitForAutoscaler(t, client, ns, "web", "the maximum of 5 and ScalingLimited", func(h *autoscalingv2.HorizontalPodAutoscaler) bool {
		return h.Status.CurrentReplicas == 5 && condition(h, autoscalingv2.ScalingLimited).Reason == "TooManyReplicas" &&
			len(h.Status.CurrentMetrics) == 1 && ptr.Deref(h.Status.CurrentMetrics[0].Resource.Current.AverageUtilization, 0) == 150
	})
	if c := condition(hpa, autoscalingv2.ScalingLimited); c.Status != corev1.ConditionTrue || c.Message != "the desired replica count is more than the maximum replica count" {
		t.Errorf("ScalingLimited at the maximum: %+v", c)
	}
	if c := condition(hpa, autoscalingv2.ScalingActive); c.Status != corev1.ConditionTrue || c.Reason != "ValidMetricFound" ||
		c.Message != "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)" {
		t.Errorf("ScalingActive: %+v", c)
	}
	if hpa.Status.ObservedGeneration == nil || *hpa.Status.ObservedGeneration != hpa.Generation {
		t.Errorf("observedGeneration %v, generation %d", hpa.Status.ObservedGeneration, hpa.Generation)
	}
	if d, err := client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{}); err != nil || *d.Spec.Replicas != 5 {
		t.Fatalf("the deployment's replicas: %v %v", d.Spec.Replicas, err)
	}

	// The pods idle: 10% of the request, ratio 0.2, asking for 1.
	idled := time.Now()
	annotatePods(t, client, ns, "web", "10m")
	waitForAutoscaler(t, client, ns, "web", "the scale-down held by the window", func(h *autoscalingv2.HorizontalPodAutoscaler) bool {
		return condition(h, autoscalingv2.AbleToScale).Reason == "ScaleDownStabilized" && h.Status.CurrentReplicas == 5
	})
	hpa = waitForAutoscaler(t, client, ns, "web", "the scale-down", func(h *autoscalingv2.HorizontalPodAutoscaler) bool { return h.Status.DesiredReplicas < 5 })
	if waited := time.Since(idled); waited < window*time.Second {
		t.Errorf("scaled down %s after the pods idled, within the %ds stabilization window", waited, window)
	}
	// The policy removes at most 2 pods in 5 s: 5 → 3, then it holds. The
	// first step may rightly stop at 4: CPU is a rate between two
	// scrapes, so a reading that straddles the pods' change shows them
	// half busy, and what that reading asked for is the last and highest
	// recommendation in the window. Either way the policy then holds the
	// count at 3 until its period has passed.
	if d := hpa.Status.DesiredReplicas; d != 3 && d != 4 {
		t.Fatalf("scale-down step: want 3 (5 less the policy's 2) or a stabilized 4, got %d; behavior %s", d, dump(hpa.Spec.Behavior))
	}
	stepped := time.Now()
	hpa = waitForAutoscaler(t, client, ns, "web", "the policy to hold the count", func(h *autoscalingv2.HorizontalPodAutoscaler) bool {
		return h.Status.CurrentReplicas == 3 && condition(h, autoscalingv2.ScalingLimited).Reason == "ScaleDownLimit"
	})
	if c := condition(hpa, autoscalingv2.ScalingLimited); c.Message != "the desired replica count is decreasing faster than the maximum scale rate" || hpa.Status.DesiredReplicas != 3 {
		t.Errorf("held by the policy: desired %d, %+v", hpa.Status.DesiredReplicas, c)
	}
	hpa = waitForAutoscaler(t, client, ns, "web", "the minimum", func(h *autoscalingv2.HorizontalPodAutoscaler) bool { return h.Status.DesiredReplicas == 1 })
	if waited := time.Since(stepped); waited < (period-1)*time.Second {
		t.Errorf("the second step came %s after the first, within the policy's %ds period", waited, period)
	}
	rescale := eventsOf(t, client, ns, "web", "SuccessfulRescale", func(messages []string) bool {
		return slices.Contains(messages, "New size: 3; reason: All metrics below target")
	})
	found := false
	for _, m := range rescale {
		found = found || m == "New size: 3; reason: All metrics below target"
	}
	if !found {
		t.Errorf("no scale-down event in %q", rescale)
	}
}

// Autoscalers that cannot work get upstream's conditions and events, and
// do not stop the others: a missing target, a target without a scale
// subresource, pods without CPU requests for a utilization target.
func TestHorizontalPodAutoscalerBadTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own control plane and node")
	}
	server, node := autoscalingCluster(t)
	client := server.Client
	ctx := context.Background()
	ns := "hpa-bad"
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A custom resource with a scale subresource, whose pods are made by
	// hand: first, as the controller's REST mapper sees a new kind only
	// once it refreshes (every 30 s, as upstream).
	crs := customScaleTarget(t, server, ns, node)
	hpas := client.AutoscalingV2().HorizontalPodAutoscalers(ns)
	create := func(hpa *autoscalingv2.HorizontalPodAutoscaler) {
		t.Helper()
		if _, err := hpas.Create(ctx, hpa, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create(cpuAutoscaler("missing", "nothing-here", 1, 3, 50, nil))
	noScale := cpuAutoscaler("no-scale", "settings", 1, 3, 50, nil)
	noScale.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "ConfigMap", Name: "settings"}
	if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create(noScale)
	hollowDeployment(t, client, ns, "unrequested", node, 1, "50m", true)
	create(cpuAutoscaler("unrequested", "unrequested", 1, 3, 50, nil))
	hollowDeployment(t, client, ns, "busy", node, 1, "100m", false)
	create(cpuAutoscaler("busy", "busy", 1, 3, 50, nil))
	// Memory by average value: 150Mi a pod against 100Mi.
	hollowDeployment(t, client, ns, "memory", node, 1, "0,150Mi", false)
	byMemory := cpuAutoscaler("memory", "memory", 1, 3, 50, nil)
	byMemory.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("100Mi"))}}}}
	create(byMemory)
	// One container's CPU utilization: 100m of its 100m against 50%.
	hollowDeployment(t, client, ns, "container", node, 1, "100m", false)
	byContainer := cpuAutoscaler("container", "container", 1, 3, 50, nil)
	byContainer.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
		Name: corev1.ResourceCPU, Container: "app", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}}}}
	create(byContainer)

	for _, name := range []string{"missing", "no-scale"} {
		hpa := waitForAutoscaler(t, client, ns, name, name+": AbleToScale false", func(h *autoscalingv2.HorizontalPodAutoscaler) bool {
			return condition(h, autoscalingv2.AbleToScale).Status == corev1.ConditionFalse
		})
		c := condition(hpa, autoscalingv2.AbleToScale)
		if c.Reason != "FailedGetScale" || !strings.HasPrefix(c.Message, "the HPA controller was unable to get the target's current scale: ") {
			t.Errorf("%s: AbleToScale %+v", name, c)
		}
		if len(eventsOf(t, client, ns, name, "FailedGetScale")) == 0 {
			t.Errorf("%s: no FailedGetScale event", name)
		}
	}
	// Until the pod's first metrics come, the condition says there are
	// none; then, that the pod has no request.
	hpa := waitForAutoscaler(t, client, ns, "unrequested", "ScalingActive false", func(h *autoscalingv2.HorizontalPodAutoscaler) bool {
		c := condition(h, autoscalingv2.ScalingActive)
		return c.Reason == "FailedGetResourceMetric" && strings.Contains(c.Message, "missing request")
	})
	c := condition(hpa, autoscalingv2.ScalingActive)
	if c.Status != corev1.ConditionFalse || !strings.HasPrefix(c.Message, "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod unrequested-") {
		t.Errorf("unrequested: ScalingActive %+v", c)
	}
	if len(eventsOf(t, client, ns, "unrequested", "FailedGetResourceMetric")) == 0 || len(eventsOf(t, client, ns, "unrequested", "FailedComputeMetricsReplicas")) == 0 {
		t.Error("unrequested: no FailedGetResourceMetric and FailedComputeMetricsReplicas events")
	}
	// 100% of a 50% target: the good autoscalers double their targets.
	waitForAutoscaler(t, client, ns, "busy", "the good autoscaler to scale", func(h *autoscalingv2.HorizontalPodAutoscaler) bool { return h.Status.DesiredReplicas >= 2 })
	hpa = waitForAutoscaler(t, client, ns, "memory", "memory to scale", func(h *autoscalingv2.HorizontalPodAutoscaler) bool { return h.Status.DesiredReplicas >= 2 })
	if m := hpa.Status.CurrentMetrics; len(m) != 1 || m[0].Resource == nil || m[0].Resource.Current.AverageValue == nil || m[0].Resource.Current.AverageValue.String() != "150Mi" {
		t.Errorf("memory status: %s", dump(hpa.Status.CurrentMetrics))
	}
	if got := eventsOf(t, client, ns, "memory", "SuccessfulRescale"); len(got) == 0 || got[0] != "New size: 2; reason: memory resource above target" {
		t.Errorf("memory events: %q", got)
	}
	hpa = waitForAutoscaler(t, client, ns, "container", "container to scale", func(h *autoscalingv2.HorizontalPodAutoscaler) bool { return h.Status.DesiredReplicas >= 2 })
	if m := hpa.Status.CurrentMetrics; len(m) != 1 || m[0].ContainerResource == nil || ptr.Deref(m[0].ContainerResource.Current.AverageUtilization, 0) != 100 {
		t.Errorf("container status: %s", dump(hpa.Status.CurrentMetrics))
	}

	// The custom resource is scaled through its /scale like any workload.
	waitForAutoscaler(t, client, ns, "custom", "the custom resource to scale", func(h *autoscalingv2.HorizontalPodAutoscaler) bool { return h.Status.DesiredReplicas == 2 })
	cr, err := crs.Get(ctx, "cron", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := unstructured.NestedInt64(cr.Object, "spec", "replicas"); r != 2 {
		t.Errorf("the custom resource's spec.replicas: %d, want 2", r)
	}

	// The resource metrics API says what each pod uses: the figures the
	// controller read.
	out, err := client.CoreV1().RESTClient().Get().AbsPath("/apis/metrics.k8s.io/v1beta1/namespaces", ns, "pods").DoRaw(ctx)
	if err != nil || !strings.Contains(string(out), `"cpu":"100m"`) {
		t.Errorf("pod metrics: %v %s", err, out)
	}
}

// customScaleTarget makes a CronTab (with a scale subresource) whose one
// pod uses all of its 100m request, and a 50% autoscaler on it.
func customScaleTarget(t *testing.T, server *framework.Server, ns, node string) dynamic.ResourceInterface {
	t.Helper()
	ctx := context.Background()
	crd := crontabCRD("scaled.example.com")
	crds := apiextensionsclient.NewForConfigOrDie(server.Config).ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crs := dynamic.NewForConfigOrDie(server.Config).Resource(schema.GroupVersionResource{Group: "scaled.example.com", Version: "v1", Resource: "crontabs"}).Namespace(ns)
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := crs.Create(ctx, &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": "scaled.example.com/v1", "kind": "CronTab", "metadata": map[string]interface{}{"name": "cron"},
			"spec": map[string]interface{}{"cronSpec": "* * * * *", "replicas": int64(1)}}}, metav1.CreateOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the CronTab: %v", err)
	}
	if _, err := crs.Patch(ctx, "cron", types.MergePatchType, []byte(`{"status":{"replicas":1,"selector":"app=cron"}}`), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}
	_, err = server.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "cron-0", Labels: map[string]string{"app": "cron"}, Annotations: hollowUsage("100m")},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "example.test/app:1",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hpa := cpuAutoscaler("custom", "cron", 1, 3, 50, nil)
	hpa.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "scaled.example.com/v1", Kind: "CronTab", Name: "cron"}
	if _, err := server.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, hpa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return crs
}

func dump(v any) string {
	out, _ := json.Marshal(v)
	return string(out)
}
