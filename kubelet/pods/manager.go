// Package pods makes the pods bound to one node real: for each, a sandbox
// (its network namespace wired by CNI, its /etc/hosts and resolv.conf),
// then its init containers in order and its containers, run by runc and
// restarted as restartPolicy says with upstream's back-off; their status
// written through pods/status; and, when the pod is deleted, its
// containers stopped within the grace period, its network torn down, and
// the pod removed with a UID precondition.
package pods

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/kubelet/images"
	"github.com/kybernetes/kybernetes/kubelet/network"
	"github.com/kybernetes/kybernetes/kubelet/runtime"
	"github.com/kybernetes/kybernetes/kubelet/static"
	"github.com/kybernetes/kybernetes/kubelet/token"
)

// volumeRefresh is how often configMap and secret volumes are rewritten
// from the API while their pod runs.
const volumeRefresh = 5 * time.Second

// podWorkers is how many pods are synced at once.
const podWorkers = 16

// Manager runs the pods of one node.
type Manager struct {
	Client kubernetes.Interface
	// Tokens asks for the service account tokens of projected volumes.
	Tokens   *token.Manager
	NodeName string
	NodeIP   string
	RootDir  string
	Images   images.Service
	Network  network.Interface
	Runtime  runtime.Interface
	Recorder record.EventRecorder
	// Hollow is a node of the fake runtime: volumes are written but not
	// mounted (no tmpfs), cgroups are not touched, and probes and
	// lifecycle hooks are not run — a running container is started and
	// ready, as on kubemark's hollow nodes, whose prober is a fake too.
	Hollow bool
	// StaticPods, if set, reads the node's static pods, every
	// FileCheckFrequency and when its directory changes.
	StaticPods         *static.Source
	FileCheckFrequency time.Duration
	// PodCIDR returns the node's pod CIDR, empty until it has one.
	PodCIDR func() string
	// ClusterDNS and ClusterDomain make pods' resolv.conf (dnsPolicy
	// ClusterFirst); without ClusterDNS pods get the node's.
	ClusterDNS    []string
	ClusterDomain string

	pods  corelisters.PodLister
	queue workqueue.TypedRateLimitingInterface[string]

	mu    sync.Mutex
	state map[string]*podState // by namespace/name
	// execIDs are the running containers' IDs by namespace/pod/container,
	// for exec, which runs beside the pod's sync.
	execIDs map[string]string
	// startedAt are the running containers' start times, by the same keys,
	// for the stats endpoints.
	startedAt map[string]time.Time
	// imageIDs are the images of the node's containers, by the same keys,
	// for image garbage collection.
	imageIDs map[string]string
	// static are the static pods, by namespace/name.
	static       map[string]*corev1.Pod
	nodeUIDCache types.UID
}

func (m *Manager) setExecID(pod *corev1.Pod, container, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.execIDs == nil {
		m.execIDs = map[string]string{}
	}
	key := pod.Namespace + "/" + pod.Name + "/" + container
	if id == "" {
		delete(m.execIDs, key)
		delete(m.startedAt, key)
	} else {
		m.execIDs[key] = id
	}
}

// setImage records the image a container of the node uses.
func (m *Manager) setImage(namespace, pod, container, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.imageIDs == nil {
		m.imageIDs = map[string]string{}
	}
	m.imageIDs[namespace+"/"+pod+"/"+container] = id
}

// ImagesInUse are the IDs of the images the node's containers use, running
// or not: image garbage collection leaves them.
func (m *Manager) ImagesInUse() map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]bool{}
	for _, id := range m.imageIDs {
		out[id] = true
	}
	return out
}

// setStarted records when a running container started.
func (m *Manager) setStarted(pod *corev1.Pod, container string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.startedAt == nil {
		m.startedAt = map[string]time.Time{}
	}
	m.startedAt[pod.Namespace+"/"+pod.Name+"/"+container] = at
}

// RunningContainer is a container the node runs, for the stats endpoints.
type RunningContainer struct {
	Namespace, Pod, Container string
	PodUID                    types.UID
	StartedAt, PodStartedAt   time.Time
}

// Running lists the containers running now.
func (m *Manager) Running() []RunningContainer {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []RunningContainer
	for key := range m.execIDs {
		parts := strings.SplitN(key, "/", 3)
		st := m.state[parts[0]+"/"+parts[1]]
		if len(parts) != 3 || st == nil {
			continue
		}
		out = append(out, RunningContainer{Namespace: parts[0], Pod: parts[1], Container: parts[2], PodUID: st.uid,
			StartedAt: m.startedAt[key], PodStartedAt: st.startTime.Time})
	}
	return out
}

// podState is what the kubelet keeps of one pod it runs.
type podState struct {
	uid types.UID
	// finished pods hold nothing on the node; final is their last status.
	finished  bool
	final     corev1.PodStatus
	podIP     string
	sandbox   bool
	startTime metav1.Time
	// volumesRefreshed is when configMap and secret volumes were last
	// brought up to date.
	volumesRefreshed time.Time
	containers       map[string]*containerState
	// saved is the checkpoint last written.
	saved []byte
	// initialized: every init container has completed (sidecars started).
	initialized bool
	// sidecars are the pod's sidecars in start order, stopped last.
	sidecars []string
}

// containerState is one container of a pod, across its restarts.
type containerState struct {
	id, bundle   string
	starts       int // attempts so far; the next one's number
	restarts     int32
	image        images.Image
	last         *corev1.ContainerStateTerminated
	backoff      time.Duration
	backoffUntil time.Time
	waiting      *corev1.ContainerStateWaiting
	// The image pull's back-off and last error.
	pullBackoff      time.Duration
	pullBackoffUntil time.Time
	pullError        string
	// The current run's probes, and what they decided.
	probes  map[probeKind]*probeState
	ready   bool
	started bool
	killing bool
}

// Run watches the node's pods and works on them until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	m.state = map[string]*podState{}
	m.restore()
	m.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer m.queue.ShutDown()
	factory := informers.NewSharedInformerFactoryWithOptions(m.Client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", m.NodeName).String()
	}))
	informer := factory.Core().V1().Pods().Informer()
	m.pods = factory.Core().V1().Pods().Lister()
	enqueue := func(obj interface{}) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			m.queue.Add(key)
		}
	}
	_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, o interface{}) { enqueue(o) }, DeleteFunc: enqueue})
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return
	}
	m.collectLeaks(ctx)
	if m.StaticPods != nil {
		// Read before the first sync: an adopted static pod must not be
		// taken for one whose manifest went.
		pods, errs := m.StaticPods.Read()
		for _, err := range errs {
			klog.ErrorS(err, "skipping a static pod manifest")
		}
		m.setStaticPods(pods)
		go m.StaticPods.Watch(ctx, m.FileCheckFrequency, m.setStaticPods)
	}
	// Adopted pods are looked at first: those deleted while no kubelet ran
	// are cleaned up.
	m.mu.Lock()
	for key := range m.state {
		m.queue.Add(key)
	}
	m.mu.Unlock()
	// Pods start in parallel, as upstream's pod workers: a pod's sync
	// waits on CNI plugins and runc, not on the CPU.
	for range podWorkers {
		go func() {
			for m.work(ctx) {
			}
		}()
	}
	// Containers end on their own: look at every pod each second.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			m.mu.Lock()
			for key := range m.state {
				m.queue.Add(key) // a finished pod's sync returns at once
			}
			m.mu.Unlock()
		}
	}
}

func (m *Manager) work(ctx context.Context) bool {
	key, quit := m.queue.Get()
	if quit {
		return false
	}
	defer m.queue.Done(key)
	if err := m.sync(ctx, key); err != nil {
		if ctx.Err() == nil {
			klog.ErrorS(err, "syncing pod", "pod", key)
		}
		m.queue.AddRateLimited(key)
		return true
	}
	m.queue.Forget(key)
	return true
}

func (m *Manager) podDir(uid types.UID) string { return filepath.Join(m.RootDir, "pods", string(uid)) }

func (m *Manager) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := m.pods.Pods(namespace).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	// status goes to the API's pod; for a static pod that is its mirror.
	target := pod
	if static := m.staticPod(key); static != nil {
		if target, err = m.syncMirror(ctx, static, pod); err != nil {
			klog.ErrorS(err, "syncing a mirror pod", "pod", key) // the static pod runs all the same
		}
		pod = static
	} else if pod != nil && isMirror(pod) {
		// Its manifest is gone: so is the pod.
		m.deleteMirror(ctx, pod)
		pod, target = nil, nil
	}
	m.mu.Lock()
	st := m.state[key]
	m.mu.Unlock()
	if st != nil && (pod == nil || pod.UID != st.uid) {
		// Gone, or replaced by another pod of that name: the old one's
		// containers go at once.
		if err := m.kill(ctx, namespace, name, st, 0); err != nil {
			return err
		}
		m.forget(key)
		st = nil
	}
	if pod == nil {
		return nil
	}
	if st == nil {
		if pod.DeletionTimestamp == nil && (pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed) {
			return nil // finished before we saw it: nothing to run
		}
		st = &podState{uid: pod.UID, containers: map[string]*containerState{}, startTime: metav1.Now()}
		for i := range pod.Spec.InitContainers {
			if isSidecar(&pod.Spec.InitContainers[i]) {
				st.sidecars = append(st.sidecars, pod.Spec.InitContainers[i].Name)
			}
		}
		m.mu.Lock()
		m.state[key] = st
		m.mu.Unlock()
	}
	if pod.DeletionTimestamp != nil {
		grace := time.Duration(ptr.Deref(pod.DeletionGracePeriodSeconds, 0)) * time.Second
		began := time.Now()
		m.preStop(ctx, pod, st, grace)
		// The hooks' time comes out of the grace period, leaving at least
		// 2 s for SIGTERM, as upstream.
		if grace > 0 {
			grace = max(grace-time.Since(began), 2*time.Second)
		}
		if err := m.kill(ctx, namespace, name, st, grace); err != nil {
			return err
		}
		err := m.Client.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
		m.forget(key)
		return nil
	}
	if st.finished {
		return m.writeStatus(ctx, target, st.final)
	}
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil && time.Since(st.startTime.Time) > time.Duration(*d)*time.Second {
		// Upstream's DeadlineExceeded: the pod fails and its containers go.
		m.Recorder.Eventf(pod, corev1.EventTypeNormal, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline")
		if err := m.kill(ctx, namespace, name, st, 0); err != nil {
			return err
		}
		final := m.status(pod, st)
		final.Phase, final.Reason, final.Message = corev1.PodFailed, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
		st.finished, st.final = true, final
		if err := m.save(namespace, name, st); err != nil {
			return err
		}
		return m.writeStatus(ctx, target, final)
	}
	if time.Since(st.volumesRefreshed) > volumeRefresh {
		m.refreshVolumes(ctx, pod)
		st.volumesRefreshed = time.Now()
	}
	status := m.syncRunning(ctx, pod, st)
	if err := m.save(namespace, name, st); err != nil {
		return err
	}
	if status.Phase == corev1.PodSucceeded || status.Phase == corev1.PodFailed {
		// A finished pod keeps its status but holds nothing on the node;
		// it is never started again, whatever its status in the API says
		// until our write lands.
		if err := m.kill(ctx, namespace, name, st, 0); err != nil {
			return err
		}
		// Looked at again: sidecars, stopped now, are terminated too.
		final := m.status(pod, st)
		final.Phase = status.Phase
		st.finished, st.final, status = true, final, final
		if err := m.save(namespace, name, st); err != nil {
			return err
		}
	}
	return m.writeStatus(ctx, target, status)
}

// Exec runs cmd in a running container of a pod of the node, for
// `kubectl exec` (on a terminal with -t).
func (m *Manager) Exec(ctx context.Context, namespace, pod, container string, cmd []string, tty bool, resize <-chan runtime.TerminalSize,
	stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	m.mu.Lock()
	id := m.execIDs[namespace+"/"+pod+"/"+container]
	m.mu.Unlock()
	if id == "" {
		return -1, fmt.Errorf("container %q in pod %s/%s is not running", container, namespace, pod)
	}
	if tty {
		return m.Runtime.ExecTTY(ctx, id, cmd, stdin, stdout, resize)
	}
	return m.Runtime.ExecStreams(ctx, id, cmd, stdin, stdout, stderr)
}

// Attach connects to a running container's own stdio, for `kubectl
// attach` and `kubectl run -i`.
func (m *Manager) Attach(ctx context.Context, namespace, pod, container string, stdin io.Reader, stdout, stderr io.Writer,
	resize <-chan runtime.TerminalSize) error {
	m.mu.Lock()
	id := m.execIDs[namespace+"/"+pod+"/"+container]
	m.mu.Unlock()
	if id == "" {
		return fmt.Errorf("container %q in pod %s/%s is not running", container, namespace, pod)
	}
	return m.Runtime.Attach(ctx, id, stdin, stdout, stderr, resize)
}

// forget drops a pod the node no longer runs, with its directory and
// checkpoint.
func (m *Manager) forget(key string) {
	m.mu.Lock()
	st := m.state[key]
	delete(m.state, key)
	for k := range m.execIDs {
		if strings.HasPrefix(k, key+"/") {
			delete(m.execIDs, k)
			delete(m.startedAt, k)
		}
	}
	for k := range m.imageIDs {
		if strings.HasPrefix(k, key+"/") {
			delete(m.imageIDs, k)
		}
	}
	m.mu.Unlock()
	if st != nil {
		m.Tokens.Forget(st.uid)
		if err := os.RemoveAll(m.podDir(st.uid)); err != nil {
			klog.ErrorS(err, "removing a pod's directory", "pod", key)
		}
	}
}

// syncRunning brings a live pod one step on: sandbox, init containers,
// containers; it returns the status that results.
func (m *Manager) syncRunning(ctx context.Context, pod *corev1.Pod, st *podState) corev1.PodStatus {
	if !st.sandbox {
		if err := m.setupSandbox(ctx, pod, st); err != nil {
			m.Recorder.Eventf(pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
			return m.status(pod, st)
		}
	}
	// Init containers in order, each to completion — but a sidecar (an
	// init container with restartPolicy Always) only until it has started,
	// and then it runs beside the others, restarted whenever it ends. Once
	// initialised, a pod stays so: a sidecar's restart holds nothing up.
	initDone := true
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if isSidecar(c) {
			cs := m.ensure(ctx, pod, st, c, true)
			m.observe(ctx, pod, st, c, cs)
			if !st.initialized && !cs.started {
				initDone = false
				break
			}
			continue
		}
		if st.initialized {
			continue
		}
		cs := m.ensure(ctx, pod, st, c, true)
		if cs.last == nil || cs.last.ExitCode != 0 || cs.id != "" && m.running(ctx, cs) {
			initDone = false
			break
		}
	}
	if initDone {
		st.initialized = true
		for i := range pod.Spec.Containers {
			c := &pod.Spec.Containers[i]
			cs := m.ensure(ctx, pod, st, c, false)
			m.observe(ctx, pod, st, c, cs)
		}
	}
	return m.status(pod, st)
}

// observe looks at a container that should be running: whether it runs,
// and what its probes say.
func (m *Manager) observe(ctx context.Context, pod *corev1.Pod, st *podState, c *corev1.Container, cs *containerState) {
	state, err := m.Runtime.State(ctx, cs.id, cs.bundle)
	if cs.id == "" || err != nil || !state.Running {
		cs.ready, cs.started = false, false
		return
	}
	m.setExecID(pod, c.Name, cs.id) // adopted containers too
	m.setStarted(pod, c.Name, state.StartedAt)
	cs.ready = m.runProbes(ctx, pod, st.podIP, c, cs, state.StartedAt)
	cs.started = c.StartupProbe == nil || cs.probes[startup] != nil && cs.probes[startup].ok
}

// isSidecar says whether an init container is a sidecar: restartPolicy
// Always, started in the init sequence and running for the pod's life.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// RuntimeHandler is the one RuntimeClass handler this kubelet runs pods
// with: runc, as containerd and CRI-O call theirs.
const RuntimeHandler = "runc"

// setupSandbox makes the pod's network and its files.
func (m *Manager) setupSandbox(ctx context.Context, pod *corev1.Pod, st *podState) error {
	if err := m.checkRuntimeClass(ctx, pod); err != nil {
		return err
	}
	dir := m.podDir(pod.UID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if pod.Spec.HostNetwork {
		st.podIP = m.NodeIP
	} else {
		cidr := m.PodCIDR()
		if cidr == "" {
			return fmt.Errorf("the node has no pod CIDR yet")
		}
		ip, err := m.Network.Setup(ctx, m.sandboxOf(pod), cidr)
		if err != nil {
			return err
		}
		st.podIP = ip.String()
	}
	if err := writeHosts(filepath.Join(dir, "etc-hosts"), pod, st.podIP); err != nil {
		return err
	}
	if err := m.writeResolvConf(filepath.Join(dir, "resolv.conf"), pod); err != nil {
		return err
	}
	st.sandbox = true
	return nil
}

// checkRuntimeClass: the pod's RuntimeClass exists and names the handler
// this kubelet has; otherwise the pod waits, as upstream's does, with the
// reason in a FailedCreatePodSandBox event.
func (m *Manager) checkRuntimeClass(ctx context.Context, pod *corev1.Pod) error {
	if pod.Spec.RuntimeClassName == nil {
		return nil
	}
	name := *pod.Spec.RuntimeClassName
	class, err := m.Client.NodeV1().RuntimeClasses().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("failed to lookup RuntimeClass %s: %w", name, err)
	}
	if class.Handler != RuntimeHandler {
		return fmt.Errorf("failed to get sandbox runtime: no runtime for %q is configured", class.Handler)
	}
	return nil
}

func (m *Manager) sandboxOf(pod *corev1.Pod) network.Pod {
	p := network.Pod{ID: "kyb-" + string(pod.UID), Namespace: pod.Namespace, Name: pod.Name, UID: string(pod.UID)}
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		for _, port := range c.Ports {
			if port.HostPort > 0 {
				p.HostPorts = append(p.HostPorts, network.PortMapping{HostPort: port.HostPort, ContainerPort: port.ContainerPort,
					Protocol: strings.ToLower(string(port.Protocol)), HostIP: port.HostIP})
			}
		}
	}
	return p
}

// kill stops every container of the pod within grace and tears its
// sandbox down.
func (m *Manager) kill(ctx context.Context, namespace, name string, st *podState, grace time.Duration) error {
	deadline := time.Now().Add(grace)
	sidecar := map[string]bool{}
	for _, n := range st.sidecars {
		sidecar[n] = true
	}
	// The pod's own containers first, all at once; then its sidecars, the
	// last started first, in what is left of the grace period (at least
	// 2 s each, as upstream), so that they serve the others to the end.
	var main []string
	for cname := range st.containers {
		if !sidecar[cname] {
			main = append(main, cname)
		}
	}
	if err := m.stopContainers(ctx, namespace, name, st, main, grace); err != nil {
		return err
	}
	for i := len(st.sidecars) - 1; i >= 0; i-- {
		left := time.Until(deadline)
		if grace > 0 {
			left = max(left, 2*time.Second)
		} else {
			left = 0
		}
		if err := m.stopContainers(ctx, namespace, name, st, st.sidecars[i:i+1], left); err != nil {
			return err
		}
	}
	if st.sandbox && st.podIP != m.NodeIP {
		p := network.Pod{ID: "kyb-" + string(st.uid), Namespace: namespace, Name: name, UID: string(st.uid)}
		if err := m.Network.Teardown(ctx, p, m.PodCIDR()); err != nil {
			return err
		}
	}
	st.sandbox = false
	if !m.Hollow {
		unmountVolumes(m.podDir(st.uid))
		if err := runtime.RemovePodCgroups(string(st.uid)); err != nil {
			klog.ErrorS(err, "removing the pod's cgroups", "pod", namespace+"/"+name)
		}
	}
	return os.RemoveAll(m.podDir(st.uid))
}

// stopContainers stops the named containers of the pod in parallel within
// grace, keeping how each run ended.
func (m *Manager) stopContainers(ctx context.Context, namespace, name string, st *podState, names []string, grace time.Duration) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for _, cname := range names {
		cs := st.containers[cname]
		if cs == nil || cs.id == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if m.running(ctx, cs) {
				m.Recorder.Eventf(&corev1.ObjectReference{Kind: "Pod", Namespace: namespace, Name: name, UID: st.uid},
					corev1.EventTypeNormal, "Killing", "Stopping container %s", cname)
			}
			if err := m.Runtime.Stop(ctx, cs.id, cs.bundle, grace); err != nil {
				errs <- err
				return
			}
			// The run's end is kept for the pod's last status.
			if state, err := m.Runtime.State(ctx, cs.id, cs.bundle); err == nil && state.Exited {
				reason := "Completed"
				switch {
				case state.OOMKilled:
					reason = "OOMKilled"
				case state.ExitCode != 0:
					reason = "Error"
				}
				cs.last = &corev1.ContainerStateTerminated{ExitCode: int32(state.ExitCode), Reason: reason,
					StartedAt: metav1.NewTime(state.StartedAt), FinishedAt: metav1.NewTime(state.FinishedAt), ContainerID: m.Runtime.Name() + "://" + cs.id}
			}
			if err := m.Runtime.Remove(ctx, cs.id, cs.bundle); err != nil {
				errs <- err
				return
			}
			cs.id, cs.waiting = "", nil
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// writeStatus writes status through pods/status when it changed: a merge
// patch of the whole status, guarded by the pod's UID, as upstream's
// kubelet patches, so that other writers (the scheduler's condition, a
// controller's annotation) never make it conflict.
func (m *Manager) writeStatus(ctx context.Context, pod *corev1.Pod, status corev1.PodStatus) error {
	if pod == nil {
		return nil // a static pod without its mirror yet
	}
	if apiequality.Semantic.DeepEqual(pod.Status, status) {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"uid": pod.UID}, "status": status})
	if err != nil {
		return err
	}
	_, err = m.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or another pod of that name now
	}
	return err
}

func writeHosts(path string, pod *corev1.Pod, ip string) error {
	hostname := pod.Name
	if pod.Spec.Hostname != "" {
		hostname = pod.Spec.Hostname
	}
	content := "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
	if net.ParseIP(ip) != nil {
		content += ip + "\t" + hostname + "\n"
	}
	for _, h := range pod.Spec.HostAliases {
		for _, n := range h.Hostnames {
			content += h.IP + "\t" + n + "\n"
		}
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

func (m *Manager) writeResolvConf(path string, pod *corev1.Pod) error {
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && pod.Spec.DNSPolicy != corev1.DNSNone {
		return err
	}
	return os.WriteFile(path, []byte(resolvConf(pod, string(host), m.ClusterDNS, m.ClusterDomain)), 0o644)
}

// resolvConf is a pod's resolv.conf, as upstream's kubelet writes it: for
// ClusterFirst the cluster's nameservers, the namespace's, the services'
// and the cluster's search domains before the host's, ndots:5; for Default
// the host's; for None nothing; then the pod's dnsConfig on top
// (nameservers added, at most 3; search domains added, at most 32;
// options replacing those of the same name).
func resolvConf(pod *corev1.Pod, host string, clusterDNS []string, domain string) string {
	var nameservers, searches, options []string
	hostNS, hostSearch, hostOptions := parseResolvConf(host)
	policy := pod.Spec.DNSPolicy
	if pod.Spec.HostNetwork && policy != corev1.DNSClusterFirstWithHostNet && policy != corev1.DNSNone {
		policy = corev1.DNSDefault
	}
	switch {
	case policy == corev1.DNSNone:
	case (policy == corev1.DNSClusterFirst || policy == corev1.DNSClusterFirstWithHostNet || policy == "") && len(clusterDNS) > 0:
		nameservers = append(nameservers, clusterDNS...)
		searches = append([]string{pod.Namespace + ".svc." + domain, "svc." + domain, domain}, hostSearch...)
		options = []string{"ndots:5"}
	default:
		nameservers, searches, options = hostNS, hostSearch, hostOptions
	}
	if c := pod.Spec.DNSConfig; c != nil {
		nameservers = appendNew(nameservers, c.Nameservers...)
		searches = appendNew(searches, c.Searches...)
		for _, o := range c.Options {
			option := o.Name
			if o.Value != nil {
				option += ":" + *o.Value
			}
			options = slices.DeleteFunc(options, func(have string) bool { return strings.SplitN(have, ":", 2)[0] == o.Name })
			options = append(options, option)
		}
	}
	if len(nameservers) > 3 {
		nameservers = nameservers[:3]
	}
	if len(searches) > 32 {
		searches = searches[:32]
	}
	var b strings.Builder
	for _, ns := range nameservers {
		b.WriteString("nameserver " + ns + "\n")
	}
	if len(searches) > 0 {
		b.WriteString("search " + strings.Join(searches, " ") + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	return b.String()
}

// parseResolvConf reads the nameservers, search domains and options of a
// resolv.conf.
func parseResolvConf(content string) (nameservers, searches, options []string) {
	for _, line := range strings.Split(content, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 {
				nameservers = append(nameservers, f[1])
			}
		case "search", "domain":
			searches = f[1:] // the last one wins, as in the resolver
		case "options":
			options = append(options, f[1:]...)
		}
	}
	return nameservers, searches, options
}

func appendNew(list []string, items ...string) []string {
	for _, item := range items {
		if !slices.Contains(list, item) {
			list = append(list, item)
		}
	}
	return list
}
