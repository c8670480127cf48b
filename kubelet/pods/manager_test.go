package pods

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/kubelet/images"
	"github.com/kybernetes/kybernetes/kubelet/network"
	"github.com/kybernetes/kybernetes/kubelet/runtime"
	"github.com/kybernetes/kybernetes/kubelet/static"
	"github.com/kybernetes/kybernetes/kubelet/token"
)

// hollowNode is a pod manager on the fake runtime, over a fake clientset,
// with the events it records.
type hollowNode struct {
	client  *fake.Clientset
	runtime *runtime.Fake
	network *network.Fake
	stop    func()
	mu      sync.Mutex
	events  []string
}

func startHollowNode(t *testing.T) *hollowNode {
	t.Helper()
	return restartHollowNode(t, fake.NewClientset(), t.TempDir())
}

// restartHollowNode runs a pod manager over client with its state in
// rootDir (the fake runtime's and network's too); stop ends it.
func restartHollowNode(t *testing.T, client *fake.Clientset, rootDir string, configure ...func(*Manager)) *hollowNode {
	t.Helper()
	h := &hollowNode{client: client, runtime: &runtime.Fake{StateDir: filepath.Join(rootDir, "fake-runtime")},
		network: &network.Fake{StateDir: filepath.Join(rootDir, "ipam")}}
	recorder := record.NewFakeRecorder(1000)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stopped := make(chan struct{})
	h.stop = func() { cancel(); <-stopped }
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-recorder.Events:
				h.mu.Lock()
				h.events = append(h.events, e)
				h.mu.Unlock()
			}
		}
	}()
	m := &Manager{Client: h.client, Tokens: token.NewManager(h.client), NodeName: "n1", NodeIP: "192.0.2.10", RootDir: rootDir,
		Images: &images.Fake{}, Network: h.network, Runtime: h.runtime, Recorder: recorder,
		PodCIDR: func() string { return "10.244.1.0/24" }, Hollow: true}
	for _, c := range configure {
		c(m)
	}
	go func() { m.Run(ctx); close(stopped) }()
	return h
}

func (h *hollowNode) sawEvent(substr string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if strings.Contains(e, substr) {
			return true
		}
	}
	return false
}

// waitFor polls the pod until ok says it is as wanted.
func (h *hollowNode) waitFor(t *testing.T, name, what string, ok func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var last *corev1.Pod
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		pod, err := h.client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err == nil && ok(pod) {
			return pod
		}
		last = pod
	}
	t.Fatalf("pod %s never %s; last status %+v", name, what, last.Status)
	return nil
}

func testPod(name string, containers ...string) *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name + "-0123-4567-89ab-cdef")},
		Spec: corev1.PodSpec{NodeName: "n1", RestartPolicy: corev1.RestartPolicyAlways}}
	for _, c := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: c, Image: "example.test/" + c + ":1", ImagePullPolicy: corev1.PullIfNotPresent})
	}
	return pod
}

func ready(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func containerID(t *testing.T, s corev1.ContainerStatus) string {
	t.Helper()
	id, ok := strings.CutPrefix(s.ContainerID, "fake://")
	if !ok {
		t.Fatalf("container %s: ID %q, want fake://<id>", s.Name, s.ContainerID)
	}
	return id
}

// TestPodWorkerRestartsAndDeletes drives one pod through its life on the
// fake runtime: started and ready with an address of the pod CIDR, an
// exit restarted at once, a second one held in CrashLoopBackOff, then a
// graceful delete finished by the kubelet with nothing left behind.
func TestPodWorkerRestartsAndDeletes(t *testing.T) {
	h := startHollowNode(t)
	ctx := context.Background()
	if _, err := h.client.CoreV1().Pods("default").Create(ctx, testPod("web", "app"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := h.waitFor(t, "web", "Running and Ready", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning && ready(p) })
	if pod.Status.PodIP != "10.244.1.2" || pod.Status.HostIP != "192.0.2.10" {
		t.Errorf("pod IP %s, host IP %s; want 10.244.1.2 (the first address after the gateway) and 192.0.2.10", pod.Status.PodIP, pod.Status.HostIP)
	}
	cs := pod.Status.ContainerStatuses[0]
	if cs.State.Running == nil || !cs.Ready || !strings.HasPrefix(cs.ImageID, "sha256:") || cs.Image != "example.test/app:1" {
		t.Errorf("container status %+v", cs)
	}
	if !h.sawEvent("Pulled Successfully pulled image \"example.test/app:1\"") || !h.sawEvent("Started Started container app") {
		t.Errorf("events %v: want Pulled and Started", h.events)
	}

	h.runtime.Exit(containerID(t, cs), 1)
	pod = h.waitFor(t, "web", "restarted once", func(p *corev1.Pod) bool {
		s := p.Status.ContainerStatuses[0]
		return s.RestartCount == 1 && s.State.Running != nil
	})
	last := pod.Status.ContainerStatuses[0].LastTerminationState.Terminated
	if last == nil || last.ExitCode != 1 || last.Reason != "Error" {
		t.Errorf("last state %+v, want terminated with exit code 1, reason Error", last)
	}

	h.runtime.Exit(containerID(t, pod.Status.ContainerStatuses[0]), 2)
	pod = h.waitFor(t, "web", "in CrashLoopBackOff", func(p *corev1.Pod) bool {
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == "CrashLoopBackOff"
	})
	if w := pod.Status.ContainerStatuses[0].State.Waiting; !strings.HasPrefix(w.Message, "back-off 10s restarting failed container=app pod=web_default") {
		t.Errorf("waiting message %q", w.Message)
	}
	if ready(pod) || !h.sawEvent("BackOff Back-off restarting failed container app") {
		t.Errorf("a crash-looping pod must not be Ready and must say BackOff; events %v", h.events)
	}

	// A graceful delete: the API sets the deletion timestamp, the kubelet
	// stops the containers and removes the pod.
	pod.DeletionTimestamp, pod.DeletionGracePeriodSeconds = ptr.To(metav1.Now()), ptr.To[int64](30)
	if _, err := h.client.CoreV1().Pods("default").Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := h.client.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kubelet never deleted the pod: %v", err)
		}
	}
	if ids := h.runtime.List(ctx); len(ids) != 0 {
		t.Errorf("containers left: %v", ids)
	}
	if s := h.network.Sandboxes(); len(s) != 0 {
		t.Errorf("pod networks left: %v", s)
	}
}

// TestPodWorkerInitContainersInOrder: the app waits in PodInitializing
// while the init containers run, one after the other; a failed init
// container is restarted, and the app starts only when all succeeded.
func TestPodWorkerInitContainersInOrder(t *testing.T) {
	h := startHollowNode(t)
	ctx := context.Background()
	pod := testPod("init", "app")
	for _, name := range []string{"first", "second"} {
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: name, Image: "example.test/init:1"})
	}
	if _, err := h.client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	running := func(name string) func(*corev1.Pod) bool {
		return func(p *corev1.Pod) bool {
			for _, s := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
				if s.Name == name {
					return s.State.Running != nil
				}
			}
			return false
		}
	}
	got := h.waitFor(t, "init", "running its first init container", running("first"))
	if w := got.Status.ContainerStatuses[0].State.Waiting; got.Status.Phase != corev1.PodPending || w == nil || w.Reason != "PodInitializing" {
		t.Errorf("phase %s, app %+v; want Pending with the app waiting in PodInitializing", got.Status.Phase, got.Status.ContainerStatuses[0].State)
	}
	if w := got.Status.InitContainerStatuses[1].State.Waiting; w == nil || w.Reason != "PodInitializing" {
		t.Errorf("the second init container ran before the first ended: %+v", got.Status.InitContainerStatuses[1].State)
	}

	h.runtime.Exit(containerID(t, got.Status.InitContainerStatuses[0]), 3)
	got = h.waitFor(t, "init", "restarting its failed first init container", func(p *corev1.Pod) bool {
		return p.Status.InitContainerStatuses[0].RestartCount == 1 && running("first")(p)
	})
	h.runtime.Exit(containerID(t, got.Status.InitContainerStatuses[0]), 0)
	got = h.waitFor(t, "init", "running its second init container", running("second"))
	h.runtime.Exit(containerID(t, got.Status.InitContainerStatuses[1]), 0)
	got = h.waitFor(t, "init", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning && running("app")(p) })
	for _, s := range got.Status.InitContainerStatuses {
		if s.State.Terminated == nil || s.State.Terminated.Reason != "Completed" {
			t.Errorf("init container %s: %+v, want terminated Completed", s.Name, s.State)
		}
	}
}

// TestPodWorkerConfigErrorsStayWithThePod: a container whose environment
// names a missing ConfigMap waits in CreateContainerConfigError with
// upstream's message, and the pod beside it runs.
func TestPodWorkerConfigErrorsStayWithThePod(t *testing.T) {
	h := startHollowNode(t)
	ctx := context.Background()
	bad := testPod("bad", "app")
	bad.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "missing"}, Key: "k"}}}}
	for _, p := range []*corev1.Pod{bad, testPod("good", "app")} {
		if _, err := h.client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got := h.waitFor(t, "bad", "waiting in CreateContainerConfigError", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil &&
			p.Status.ContainerStatuses[0].State.Waiting.Reason == "CreateContainerConfigError"
	})
	if msg := got.Status.ContainerStatuses[0].State.Waiting.Message; msg != `configmap "missing" not found` {
		t.Errorf("message %q, want upstream's", msg)
	}
	h.waitFor(t, "good", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
}

// TestPodWorkerAdoptsAfterARestart: a kubelet started again over the same
// directory adopts the running container (same ID and start time, no
// restart) and removes the containers of a pod deleted while it was down.
func TestPodWorkerAdoptsAfterARestart(t *testing.T) {
	client, dir := fake.NewClientset(), t.TempDir()
	ctx := context.Background()
	h := restartHollowNode(t, client, dir)
	for _, name := range []string{"kept", "gone"} {
		if _, err := client.CoreV1().Pods("default").Create(ctx, testPod(name, "app"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	before := h.waitFor(t, "kept", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	h.waitFor(t, "gone", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	h.stop()
	if err := client.CoreV1().Pods("default").Delete(ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	h = restartHollowNode(t, client, dir)
	for deadline := time.Now().Add(20 * time.Second); len(h.runtime.List(ctx)) != 1 || len(h.network.Sandboxes()) != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the deleted pod's container and network are still there: %v, %v", h.runtime.List(ctx), h.network.Sandboxes())
		}
	}
	after, err := client.CoreV1().Pods("default").Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, a := before.Status.ContainerStatuses[0], after.Status.ContainerStatuses[0]
	if a.ContainerID != b.ContainerID || a.RestartCount != 0 || a.State.Running == nil || !a.State.Running.StartedAt.Equal(&b.State.Running.StartedAt) {
		t.Errorf("after the restart %+v; before %+v: want the same container, running since the same time", a, b)
	}
	if ids := h.runtime.List(ctx); ids[0] != containerID(t, a) {
		t.Errorf("the runtime holds %v, want the kept pod's container", ids)
	}
}

// TestStaticPodsAndTheirMirrors: a manifest's pod runs and its mirror pod
// shows it in the API (owned by the Node, marked with the static pod's
// UID, with its status); a deleted mirror is made again while the pod runs
// on; an edited manifest replaces the pod; a removed one ends it and its
// mirror.
func TestStaticPodsAndTheirMirrors(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "node-uid"}})
	manifests := t.TempDir()
	manifest := filepath.Join(manifests, "web.yaml")
	writeManifest := func(image string) {
		content := "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: kube-system}\nspec:\n  containers: [{name: app, image: " + image + "}]\n"
		if err := os.WriteFile(manifest, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeManifest("example.test/web:1")
	h := restartHollowNode(t, client, t.TempDir(), func(m *Manager) {
		m.StaticPods, m.FileCheckFrequency = &static.Source{Path: manifests, NodeName: "n1"}, time.Minute
	})
	get := func(what string, ok func(*corev1.Pod) bool) *corev1.Pod {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			pod, err := client.CoreV1().Pods("kube-system").Get(ctx, "web-n1", metav1.GetOptions{})
			if err == nil && ok(pod) {
				return pod
			}
		}
		t.Fatalf("the mirror pod never %s", what)
		return nil
	}
	runningWith := func(image string) func(*corev1.Pod) bool {
		return func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == image
		}
	}
	mirror := get("Running", runningWith("example.test/web:1"))
	hash := mirror.Annotations[static.ConfigHashAnnotation]
	if mirror.Annotations[static.ConfigMirrorAnnotation] != hash || hash == "" || mirror.UID == types.UID(hash) {
		t.Errorf("annotations %v, UID %s: want config.mirror = config.hash, the static pod's UID, not the mirror's own", mirror.Annotations, mirror.UID)
	}
	if PodUID(mirror) != types.UID(hash) {
		t.Errorf("PodUID of the mirror: %s, want the static pod's %s", PodUID(mirror), hash)
	}
	if refs := mirror.OwnerReferences; len(refs) != 1 || refs[0].Kind != "Node" || refs[0].Name != "n1" || refs[0].UID != "node-uid" || !ptr.Deref(refs[0].Controller, false) {
		t.Errorf("owner references %+v, want the Node as controller", refs)
	}
	if mirror.Spec.NodeName != "n1" || mirror.Status.PodIP != "10.244.1.2" {
		t.Errorf("node %q, IP %q", mirror.Spec.NodeName, mirror.Status.PodIP)
	}
	started := mirror.Status.ContainerStatuses[0].ContainerID

	// Deleting the mirror does not stop the static pod: it comes back. (A
	// label tells the old mirror from the new: the fake clientset gives
	// objects no UIDs.)
	mirror.Labels = map[string]string{"old": "mirror"}
	if _, err := client.CoreV1().Pods("kube-system").Update(ctx, mirror, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := client.CoreV1().Pods("kube-system").Delete(ctx, "web-n1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	again := get("made again", func(p *corev1.Pod) bool { return p.Labels["old"] == "" && runningWith("example.test/web:1")(p) })
	if s := again.Status.ContainerStatuses[0]; s.ContainerID != started || s.RestartCount != 0 {
		t.Errorf("after the mirror's deletion the container is %s (restarts %d), want %s running on", s.ContainerID, s.RestartCount, started)
	}

	// An edited manifest is a new pod.
	writeManifest("example.test/web:2")
	edited := get("replaced by the edited manifest's", runningWith("example.test/web:2"))
	if edited.Annotations[static.ConfigMirrorAnnotation] == hash {
		t.Error("the edited pod's mirror kept the old hash")
	}
	if ids := h.runtime.List(ctx); len(ids) != 1 || ids[0] == strings.TrimPrefix(started, "fake://") {
		t.Errorf("containers %v: want only the edited pod's", ids)
	}

	// A removed manifest: the pod ends and its mirror goes.
	if err := os.Remove(manifest); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := client.CoreV1().Pods("kube-system").Get(ctx, "web-n1", metav1.GetOptions{})
		if apierrors.IsNotFound(err) && len(h.runtime.List(ctx)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the removed manifest's pod is still there: %v, containers %v", err, h.runtime.List(ctx))
		}
	}
}

// TestPodWorkerClaims: a pod's claim must exist and be bound before its
// containers start — until then it waits in ContainerCreating with
// upstream's FailedMount event — and then mounts the bound volume.
func TestPodWorkerClaims(t *testing.T) {
	h := startHollowNode(t)
	ctx := context.Background()
	pod := testPod("db", "app")
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	if _, err := h.client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waiting := func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil &&
			p.Status.ContainerStatuses[0].State.Waiting.Reason == "ContainerCreating"
	}
	h.waitFor(t, "db", "waiting for its claim", waiting)
	for deadline := time.Now().Add(10 * time.Second); !h.sawEvent(`FailedMount MountVolume.SetUp failed for volume "data" : error processing PVC default/data: failed to fetch PVC from API server`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no FailedMount event for the missing claim; events %v", h.events)
		}
	}
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"}}
	if _, err := h.client.CoreV1().PersistentVolumeClaims("default").Create(ctx, claim, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !h.sawEvent(`error processing PVC default/data: PVC is not bound`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no FailedMount event for the unbound claim; events %v", h.events)
		}
	}
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-data"}, Spec: corev1.PersistentVolumeSpec{
		PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/srv/data"}}}}
	if _, err := h.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	claim.Spec.VolumeName, claim.Status.Phase = "pv-data", corev1.ClaimBound
	if _, err := h.client.CoreV1().PersistentVolumeClaims("default").Update(ctx, claim, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, "db", "Running once its claim is bound", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
}

// countingRuntime counts the looks at containers: a sign that the pod
// worker has synced.
type countingRuntime struct {
	*runtime.Fake
	mu     sync.Mutex
	states int
}

func (c *countingRuntime) State(ctx context.Context, id, bundle string) (runtime.State, error) {
	c.mu.Lock()
	c.states++
	c.mu.Unlock()
	return c.Fake.State(ctx, id, bundle)
}

func (c *countingRuntime) looks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.states
}

// TestPodWorkerWritesStatusOnlyWhenItChanges: a running pod is looked at
// every second, and its status is written only when it changed — the
// times the kubelet has to the nanosecond are compared as the API stores
// them, to the second.
func TestPodWorkerWritesStatusOnlyWhenItChanges(t *testing.T) {
	client := fake.NewClientset()
	counting := &countingRuntime{Fake: &runtime.Fake{}}
	h := restartHollowNode(t, client, t.TempDir(), func(m *Manager) { m.Runtime = counting })
	if _, err := client.CoreV1().Pods("default").Create(context.Background(), testPod("steady", "app"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, "steady", "Running and Ready", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning && ready(p) })
	statusWrites := func() int {
		n := 0
		for _, a := range client.Actions() {
			if a.GetVerb() == "patch" && a.GetSubresource() == "status" {
				n++
			}
		}
		return n
	}
	// Let the status settle (the Ready write may follow Running), then
	// watch three more syncs.
	for deadline := time.Now().Add(10 * time.Second); ; {
		before, looks := statusWrites(), counting.looks()
		for counting.looks() < looks+3 {
			if time.Now().After(deadline) {
				t.Fatal("the pod worker stopped looking at the pod")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if statusWrites() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status is written at every sync: %d writes", statusWrites())
		}
	}
}

// orderedRuntime records the order containers are stopped in.
type orderedRuntime struct {
	*runtime.Fake
	mu      sync.Mutex
	stopped []string
}

func (o *orderedRuntime) Stop(ctx context.Context, id, bundle string, grace time.Duration) error {
	if st, _ := o.Fake.State(ctx, id, bundle); st.Running {
		o.mu.Lock()
		o.stopped = append(o.stopped, id)
		o.mu.Unlock()
	}
	return o.Fake.Stop(ctx, id, bundle, grace)
}

// TestPodWorkerSidecars: a sidecar (an init container with restartPolicy
// Always) starts in the init sequence and the next init container waits
// only for it to have started; it runs beside the app, is restarted
// whatever the pod's policy, counts for readiness, does not keep a
// finished pod alive, and is stopped after the app.
func TestPodWorkerSidecars(t *testing.T) {
	ordered := &orderedRuntime{Fake: &runtime.Fake{}}
	client := fake.NewClientset()
	h := restartHollowNode(t, client, t.TempDir(), func(m *Manager) { m.Runtime = ordered })
	h.runtime = ordered.Fake
	ctx := context.Background()
	pod := testPod("sidecar", "app")
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	pod.Spec.InitContainers = []corev1.Container{
		{Name: "proxy", Image: "example.test/proxy:1", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)},
		{Name: "setup", Image: "example.test/setup:1"},
	}
	if _, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	initStatus := func(p *corev1.Pod, name string) corev1.ContainerStatus {
		for _, s := range p.Status.InitContainerStatuses {
			if s.Name == name {
				return s
			}
		}
		return corev1.ContainerStatus{}
	}
	got := h.waitFor(t, "sidecar", "running its sidecar and then setup", func(p *corev1.Pod) bool {
		return initStatus(p, "proxy").State.Running != nil && initStatus(p, "setup").State.Running != nil
	})
	if got.Status.Phase != corev1.PodPending || got.Status.ContainerStatuses[0].State.Waiting == nil {
		t.Errorf("phase %s, app %+v: want Pending, the app waiting for setup", got.Status.Phase, got.Status.ContainerStatuses[0].State)
	}
	h.runtime.Exit(containerID(t, initStatus(got, "setup")), 0)
	got = h.waitFor(t, "sidecar", "Running and Ready with its app", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning && ready(p) && p.Status.ContainerStatuses[0].State.Running != nil
	})
	if s := initStatus(got, "proxy"); s.State.Running == nil || !s.Ready || !ptr.Deref(s.Started, false) {
		t.Errorf("the sidecar: %+v, want running, started and ready", s)
	}

	// The sidecar ends: it is restarted though the pod's policy is Never,
	// and the app runs on.
	app := got.Status.ContainerStatuses[0].ContainerID
	h.runtime.Exit(containerID(t, initStatus(got, "proxy")), 1)
	got = h.waitFor(t, "sidecar", "restarting its sidecar", func(p *corev1.Pod) bool {
		s := initStatus(p, "proxy")
		return s.RestartCount == 1 && s.State.Running != nil
	})
	if got.Status.ContainerStatuses[0].ContainerID != app || got.Status.Phase != corev1.PodRunning {
		t.Errorf("the app was touched by the sidecar's restart: %+v, phase %s", got.Status.ContainerStatuses[0], got.Status.Phase)
	}

	// The app ends: the pod is done (the sidecar does not keep it), and
	// its sidecar is stopped after it.
	h.runtime.Exit(containerID(t, got.Status.ContainerStatuses[0]), 0)
	got = h.waitFor(t, "sidecar", "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	if s := initStatus(got, "proxy"); s.State.Terminated == nil || s.Ready {
		t.Errorf("the finished pod's sidecar: %+v, want terminated", s)
	}
	for deadline := time.Now().Add(10 * time.Second); len(h.runtime.List(ctx)) != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("containers left after the pod finished: %v", h.runtime.List(ctx))
		}
	}

	// A deleted pod: the app is stopped before its sidecar.
	second := testPod("ordered", "app")
	second.Spec.InitContainers = []corev1.Container{{Name: "proxy", Image: "example.test/proxy:1", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}}
	if _, err := client.CoreV1().Pods("default").Create(ctx, second, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got = h.waitFor(t, "ordered", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning && ready(p) })
	ordered.mu.Lock()
	ordered.stopped = nil
	ordered.mu.Unlock()
	got.DeletionTimestamp, got.DeletionGracePeriodSeconds = ptr.To(metav1.Now()), ptr.To[int64](30)
	if _, err := client.CoreV1().Pods("default").Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := client.CoreV1().Pods("default").Get(ctx, "ordered", metav1.GetOptions{}); apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pod was never deleted")
		}
	}
	ordered.mu.Lock()
	defer ordered.mu.Unlock()
	want := []string{containerID(t, got.Status.ContainerStatuses[0]), containerID(t, got.Status.InitContainerStatuses[0])}
	if fmt.Sprint(ordered.stopped) != fmt.Sprint(want) {
		t.Errorf("stopped %v, want the app then the sidecar %v", ordered.stopped, want)
	}
}
