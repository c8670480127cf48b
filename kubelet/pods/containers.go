package pods

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/kubelet/images"
	"github.com/kybernetes/kybernetes/kubelet/runtime"
)

// Upstream's crash-loop back-off: 10 s, doubling, at most 5 minutes.
const (
	backoffStart = 10 * time.Second
	backoffMax   = 5 * time.Minute
)

// ensure starts the container if it should be running and is not: never
// started, or ended and due a restart by the pod's restartPolicy once its
// back-off has passed. init marks an init container, which runs to
// completion and restarts only on failure (unless restartPolicy Never).
func (m *Manager) ensure(ctx context.Context, pod *corev1.Pod, st *podState, c *corev1.Container, init bool) *containerState {
	cs := st.containers[c.Name]
	if cs == nil {
		cs = &containerState{}
		st.containers[c.Name] = cs
	}
	if cs.id != "" {
		state, err := m.Runtime.State(ctx, cs.id, cs.bundle)
		if err != nil || state.Running {
			return cs
		}
		if !state.Exited {
			// Start returned, so the container was there: the runtime
			// lost it with no record of its end (the machine rebooted; a
			// hollow node restarted). Upstream's words for it.
			state = runtime.State{Exited: true, ExitCode: 137, FinishedAt: time.Now(), Lost: true}
		}
		m.recordExit(ctx, pod, c, cs, state)
	}
	if cs.last != nil && !shouldRestart(pod, c, cs.last, init) {
		return cs
	}
	if cs.last != nil && time.Now().Before(cs.backoffUntil) {
		wait := cs.backoff / 2 // the back-off now running; cs.backoff is the next one
		cs.waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", wait, c.Name, pod.Name, pod.Namespace, pod.UID)}
		return cs
	}
	m.start(ctx, pod, st, c, cs)
	return cs
}

func shouldRestart(pod *corev1.Pod, c *corev1.Container, last *corev1.ContainerStateTerminated, init bool) bool {
	if init && isSidecar(c) {
		return true // a sidecar runs for the pod's life, whatever its policy
	}
	switch pod.Spec.RestartPolicy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return last.ExitCode != 0
	}
	if init {
		return last.ExitCode != 0 // an init container that succeeded is done
	}
	return true
}

// recordExit notes how the container's run ended, removes what is left of
// it and sets the back-off before its next start.
func (m *Manager) recordExit(ctx context.Context, pod *corev1.Pod, c *corev1.Container, cs *containerState, state runtime.State) {
	reason := "Completed"
	if state.ExitCode != 0 {
		reason = "Error"
	}
	if state.OOMKilled {
		reason = "OOMKilled"
	}
	if state.Error != "" {
		reason = "StartError"
	}
	message := state.Error
	if state.Lost {
		reason, message = "ContainerStatusUnknown", "The container could not be located when the pod was terminated"
	}
	if message == "" && c.TerminationMessagePath != "" {
		if data, err := readAtMost(filepath.Join(cs.bundle, "termination-log"), maxTerminationMessage); err == nil {
			message = strings.TrimSpace(string(data))
		}
	}
	if message == "" && state.ExitCode != 0 && c.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
		message = logTail(m.logPath(pod, c.Name, cs.starts-1), fallbackLogLines, fallbackLogBytes)
	}
	cs.last = &corev1.ContainerStateTerminated{ExitCode: int32(state.ExitCode), Reason: reason, Message: message,
		StartedAt: metav1.NewTime(state.StartedAt), FinishedAt: metav1.NewTime(state.FinishedAt), ContainerID: m.Runtime.Name() + "://" + cs.id}
	if err := m.Runtime.Remove(ctx, cs.id, cs.bundle); err != nil {
		klog.ErrorS(err, "removing an ended container", "pod", klog.KObj(pod), "container", c.Name)
	}
	cs.id = ""
	m.setExecID(pod, c.Name, "")
	// As upstream: the first restart is at once, then 10 s, doubling to
	// 5 min; a container that ran for 10 minutes starts over.
	if state.FinishedAt.Sub(state.StartedAt) > 2*backoffMax {
		cs.backoff = 0
	}
	if cs.backoff == 0 {
		cs.backoffUntil, cs.backoff = state.FinishedAt, backoffStart
	} else {
		cs.backoffUntil = state.FinishedAt.Add(cs.backoff)
		cs.backoff = min(cs.backoff*2, backoffMax)
	}
	if state.ExitCode != 0 && (isSidecar(c) || shouldRestart(pod, c, cs.last, false)) {
		m.Recorder.Eventf(pod, corev1.EventTypeWarning, "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)", c.Name, pod.Name, pod.Namespace, pod.UID)
	}
}

// Upstream's limits on termination messages: the file is read up to 4096
// bytes; the log fallback takes the last 80 lines, at most 2048 bytes.
const (
	maxTerminationMessage = 4096
	fallbackLogLines      = 80
	fallbackLogBytes      = 2048
)

// readAtMost reads up to n bytes of a file.
func readAtMost(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// logTail is the end of a container's log (the CRI format) as the
// container wrote it: its last lines, at most maxBytes.
func logTail(path string, lines int, maxBytes int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		// <time> <stream> <F|P> <text>: a partial line continues.
		f := strings.SplitN(line, " ", 4)
		if len(f) < 4 {
			continue
		}
		out.WriteString(f[3])
		if f[2] == "F" {
			out.WriteString("\n")
		}
	}
	text := out.String()
	all := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	text = strings.Join(all, "\n")
	if len(text) > maxBytes {
		text = text[len(text)-maxBytes:]
	}
	return text
}

// start runs one attempt of the container; on failure the container waits
// with upstream's reason.
func (m *Manager) start(ctx context.Context, pod *corev1.Pod, st *podState, c *corev1.Container, cs *containerState) {
	img, err := m.image(ctx, pod, c, cs)
	if err != nil {
		cs.waiting = err.(*waitError).state
		return
	}
	cs.image = img
	m.setImage(pod.Namespace, pod.Name, c.Name, img.ID)
	spec, err := m.spec(ctx, pod, st, c, img)
	var mnt *mountError
	if errors.As(err, &mnt) {
		cs.waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
		if len(pod.Spec.InitContainers) > 0 {
			cs.waiting.Reason = "PodInitializing"
		}
		m.Recorder.Event(pod, corev1.EventTypeWarning, "FailedMount", mnt.Error())
		return
	}
	var cfg *configError
	if errors.As(err, &cfg) {
		cs.waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: cfg.msg}
		m.Recorder.Eventf(pod, corev1.EventTypeWarning, "Failed", "Error: %s", cfg.msg)
		return
	}
	if err != nil {
		cs.waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerError", Message: err.Error()}
		m.Recorder.Eventf(pod, corev1.EventTypeWarning, "Failed", "Error: %v", err)
		return
	}
	attempt := cs.starts
	id := fmt.Sprintf("kyb-%s-%s-%d", string(pod.UID)[:8], c.Name, attempt)
	bundle := filepath.Join(m.podDir(pod.UID), "containers", fmt.Sprintf("%s-%d", c.Name, attempt))
	if err := os.MkdirAll(bundle, 0o750); err != nil {
		cs.waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerError", Message: err.Error()}
		return
	}
	if c.TerminationMessagePath != "" {
		termLog := filepath.Join(bundle, "termination-log")
		if err := os.WriteFile(termLog, nil, 0o666); err == nil {
			spec.Mounts = append(spec.Mounts, specs.Mount{Destination: c.TerminationMessagePath, Type: "bind", Source: termLog, Options: []string{"rbind", "rw"}})
		}
	}
	m.Recorder.Eventf(pod, corev1.EventTypeNormal, "Created", "Created container: %s", c.Name)
	err = m.Runtime.Start(ctx, runtime.Container{ID: id, Bundle: bundle, Image: img.RootFS, Spec: spec, Log: m.logPath(pod, c.Name, attempt),
		Stdin: c.Stdin, StdinOnce: c.StdinOnce, TTY: c.TTY})
	cs.starts++
	cs.restarts = int32(cs.starts - 1)
	cs.id, cs.bundle, cs.waiting, cs.probes, cs.killing = id, bundle, nil, nil, false
	m.setExecID(pod, c.Name, id)
	if err != nil {
		// The shim's exit record carries runc's reason; the next look at
		// the container turns it into a StartError termination. Failing
		// before there was a shim leaves no record: it is made here.
		m.Recorder.Eventf(pod, corev1.EventTypeWarning, "Failed", "Error: %v", err)
		if state, serr := m.Runtime.State(ctx, id, bundle); serr == nil && !state.Running && !state.Exited {
			now := time.Now()
			m.recordExit(ctx, pod, c, cs, runtime.State{Exited: true, ExitCode: 128, Error: err.Error(), StartedAt: now, FinishedAt: now})
		}
		return
	}
	m.Recorder.Eventf(pod, corev1.EventTypeNormal, "Started", "Started container %s", c.Name)
	m.postStart(ctx, pod, st.podIP, c, cs)
}

// LogDir is where a pod's container logs go, as upstream's
// /var/log/pods/<namespace>_<name>_<uid>.
func LogDir(rootDir string, pod *corev1.Pod) string {
	return filepath.Join(rootDir, "logs", fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, PodUID(pod)))
}

func (m *Manager) logPath(pod *corev1.Pod, container string, attempt int) string {
	return filepath.Join(LogDir(m.RootDir, pod), container, strconv.Itoa(attempt)+".log")
}

// waitError carries the waiting state a container is left in.
type waitError struct{ state *corev1.ContainerStateWaiting }

func (e *waitError) Error() string { return e.state.Message }

// image finds the container's image, pulling it as its imagePullPolicy
// says: Never uses only the store, IfNotPresent pulls when absent, Always
// pulls at every start. A failed pull waits with ErrImagePull, then
// ImagePullBackOff until its back-off (10 s doubling to 5 min) passes, with
// upstream's events.
func (m *Manager) image(ctx context.Context, pod *corev1.Pod, c *corev1.Container, cs *containerState) (images.Image, error) {
	if _, err := images.Normalize(c.Image); err != nil {
		msg := fmt.Sprintf("Failed to apply default image tag %q: %v", c.Image, err)
		m.Recorder.Event(pod, corev1.EventTypeWarning, "InspectFailed", msg)
		return images.Image{}, &waitError{&corev1.ContainerStateWaiting{Reason: "InvalidImageName", Message: msg}}
	}
	present, err := m.Images.Get(c.Image)
	switch {
	case c.ImagePullPolicy == corev1.PullNever && err != nil:
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)
		m.Recorder.Event(pod, corev1.EventTypeWarning, "ErrImageNeverPull", msg)
		return images.Image{}, &waitError{&corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull", Message: msg}}
	case err == nil && c.ImagePullPolicy != corev1.PullAlways:
		m.Recorder.Eventf(pod, corev1.EventTypeNormal, "Pulled", "Container image %q already present on machine", c.Image)
		return present, nil
	}
	if time.Now().Before(cs.pullBackoffUntil) {
		m.Recorder.Eventf(pod, corev1.EventTypeNormal, "BackOff", "Back-off pulling image %q", c.Image)
		return images.Image{}, &waitError{&corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
			Message: fmt.Sprintf("Back-off pulling image %q: %s", c.Image, cs.pullError)}}
	}
	m.Recorder.Eventf(pod, corev1.EventTypeNormal, "Pulling", "Pulling image %q", c.Image)
	began := time.Now()
	// Bounded as the runtime's requests are upstream (2 minutes): a
	// registry that never answers must not hold the pod's sync for ever.
	pullCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	pulled, err := m.Images.Pull(pullCtx, c.Image, goruntime.GOARCH, m.pullSecrets(ctx, pod)...)
	cancel()
	if err != nil {
		cs.pullBackoff = min(max(cs.pullBackoff*2, backoffStart), backoffMax)
		cs.pullBackoffUntil = time.Now().Add(cs.pullBackoff)
		cs.pullError = fmt.Sprintf("failed to pull and unpack image %q: %v", c.Image, err)
		msg := fmt.Sprintf("Failed to pull image %q: %s", c.Image, cs.pullError)
		m.Recorder.Event(pod, corev1.EventTypeWarning, "Failed", msg)
		m.Recorder.Event(pod, corev1.EventTypeWarning, "Failed", "Error: ErrImagePull")
		return images.Image{}, &waitError{&corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: msg}}
	}
	cs.pullBackoff, cs.pullBackoffUntil, cs.pullError = 0, time.Time{}, ""
	took := time.Since(began).Round(time.Millisecond)
	m.Recorder.Eventf(pod, corev1.EventTypeNormal, "Pulled", "Successfully pulled image %q in %s (%s including waiting). Image size: %d bytes.", c.Image, took, took, pulled.Size)
	return pulled, nil
}

// pullSecrets are the docker configs of the pod's imagePullSecrets; a
// missing secret is skipped, as upstream (the pull may not need it).
func (m *Manager) pullSecrets(ctx context.Context, pod *corev1.Pod) [][]byte {
	var configs [][]byte
	for _, ref := range pod.Spec.ImagePullSecrets {
		s, err := m.Client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			klog.V(2).InfoS("image pull secret not found", "pod", klog.KObj(pod), "secret", ref.Name)
			continue
		}
		for _, key := range []string{corev1.DockerConfigJsonKey, corev1.DockerConfigKey} {
			if data, ok := s.Data[key]; ok {
				configs = append(configs, data)
			}
		}
	}
	return configs
}

// spec resolves the container against its image and pod into an OCI spec.
func (m *Manager) spec(ctx context.Context, pod *corev1.Pod, st *podState, c *corev1.Container, img images.Image) (*specs.Spec, error) {
	env := append([]string{}, img.Config.Env...)
	if !hasEnv(env, "PATH") {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	hostname := pod.Name
	if pod.Spec.Hostname != "" {
		hostname = pod.Spec.Hostname
	}
	env = append(env, "HOSTNAME="+hostname)
	own, err := environment(ctx, m.Client, pod, c, st.podIP, m.NodeIP)
	if err != nil {
		return nil, err
	}
	env = append(env, own...)
	values := map[string]string{}
	for _, kv := range own {
		k, v, _ := strings.Cut(kv, "=")
		values[k] = v
	}
	args := commandLine(c, img, values)
	if len(args) == 0 {
		return nil, &configError{"no command specified"}
	}
	u, err := user(pod, c, img)
	if err != nil {
		return nil, err
	}
	cwd := c.WorkingDir
	if cwd == "" {
		cwd = img.Config.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	in := runtime.SpecInput{
		Args: args, Env: env, Cwd: cwd, UID: u.uid, GID: u.gid, AdditionalGIDs: u.additional, Hostname: hostname,
		CgroupsPath: runtime.PodCgroup(string(pod.UID), c.Name), Terminal: c.TTY,
	}
	if !pod.Spec.HostNetwork {
		in.NetNS = m.Network.NetNSPath(m.sandboxOf(pod))
	}
	if psc := pod.Spec.SecurityContext; psc != nil {
		for _, g := range psc.SupplementalGroups {
			in.AdditionalGIDs = append(in.AdditionalGIDs, uint32(g))
		}
		if psc.FSGroup != nil {
			in.AdditionalGIDs = append(in.AdditionalGIDs, uint32(*psc.FSGroup))
		}
	}
	if sc := c.SecurityContext; sc != nil {
		in.Privileged = ptr.Deref(sc.Privileged, false)
		in.ReadOnlyRoot = ptr.Deref(sc.ReadOnlyRootFilesystem, false)
		in.NoNewPrivileges = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
		if sc.Capabilities != nil {
			for _, cap := range sc.Capabilities.Add {
				in.AddCapabilities = append(in.AddCapabilities, string(cap))
			}
			for _, cap := range sc.Capabilities.Drop {
				in.DropCapabilities = append(in.DropCapabilities, string(cap))
			}
		}
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		in.MemoryLimit = q.Value()
	}
	if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
		in.CPUShares = uint64(max(q.MilliValue()*1024/1000, 2))
	}
	if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		in.CPUQuota = max(q.MilliValue()*100, 1000)
	}
	dir := m.podDir(pod.UID)
	for _, f := range []struct{ src, dst string }{{"etc-hosts", "/etc/hosts"}, {"resolv.conf", "/etc/resolv.conf"}} {
		in.Mounts = append(in.Mounts, specs.Mount{Destination: f.dst, Type: "bind", Source: filepath.Join(dir, f.src), Options: []string{"rbind", "rw"}})
	}
	mounts, err := m.volumeMounts(ctx, pod, c)
	if err != nil {
		return nil, err
	}
	in.Mounts = append(in.Mounts, mounts...)
	return runtime.BuildSpec(in), nil
}

// commandLine is upstream's rule: command replaces the image's entrypoint
// (and then the image's cmd is not used); args replace the image's cmd;
// $(VAR) references are expanded.
func commandLine(c *corev1.Container, img images.Image, env map[string]string) []string {
	entrypoint, cmd := img.Config.Entrypoint, img.Config.Cmd
	if len(c.Command) > 0 {
		entrypoint, cmd = c.Command, nil
	}
	if len(c.Args) > 0 {
		cmd = c.Args
	}
	var out []string
	for _, a := range append(append([]string{}, entrypoint...), cmd...) {
		out = append(out, expand(a, env))
	}
	return out
}

// user is the container's uid and gid: its securityContext's, the pod's,
// else the image's numeric USER. runAsNonRoot refuses root with upstream's
// message.
func user(pod *corev1.Pod, c *corev1.Container, img images.Image) (imageUser, error) {
	var uid, gid *int64
	nonRoot := false
	if psc := pod.Spec.SecurityContext; psc != nil {
		uid, gid, nonRoot = psc.RunAsUser, psc.RunAsGroup, ptr.Deref(psc.RunAsNonRoot, false)
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
		if sc.RunAsNonRoot != nil {
			nonRoot = *sc.RunAsNonRoot
		}
	}
	if uid == nil && nonRoot {
		// As upstream: a named image user cannot be checked before the
		// container exists, so it is refused.
		name, _, _ := strings.Cut(img.Config.User, ":")
		n, err := strconv.ParseInt(name, 10, 64)
		switch {
		case name != "" && err != nil:
			return imageUser{}, &configError{fmt.Sprintf("container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root", name)}
		case name == "" || n == 0:
			return imageUser{}, &configError{"container has runAsNonRoot and image will run as root"}
		}
	}
	if nonRoot && uid != nil && *uid == 0 {
		return imageUser{}, &configError{"container has runAsNonRoot and image will run as root"}
	}
	u, err := resolveUser(img.RootFS, img.Config.User, uid)
	if err != nil {
		return imageUser{}, err
	}
	if gid != nil {
		u.gid = uint32(*gid)
	}
	return u, nil
}

func hasEnv(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// running says whether the container's current attempt is running.
func (m *Manager) running(ctx context.Context, cs *containerState) bool {
	if cs.id == "" {
		return false
	}
	state, err := m.Runtime.State(ctx, cs.id, cs.bundle)
	return err == nil && !state.Exited
}
