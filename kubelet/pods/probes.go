package pods

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeState is one probe's record for one run of a container.
type probeState struct {
	last      time.Time
	successes int32
	failures  int32
	ok        bool
}

// probeKind names the three probes, as upstream's events do.
type probeKind string

const (
	startup   probeKind = "Startup"
	liveness  probeKind = "Liveness"
	readiness probeKind = "Readiness"
)

// runProbes probes a running container as its spec says, each probe at
// its period after initialDelaySeconds, until its thresholds decide: a
// startup probe holds back the others until it succeeds; liveness or
// startup failures kill the container (the restart policy then restarts
// it); readiness decides Ready. It reports whether the container is ready.
func (m *Manager) runProbes(ctx context.Context, pod *corev1.Pod, podIP string, c *corev1.Container, cs *containerState, startedAt time.Time) bool {
	if cs.probes == nil {
		cs.probes = map[probeKind]*probeState{}
	}
	if cs.killing {
		return false // stopping after a failed probe: nothing more to ask
	}
	if m.Hollow {
		cs.probes[startup] = &probeState{ok: true}
		return true
	}
	started := c.StartupProbe == nil || m.probe(ctx, pod, podIP, c, cs, startup, c.StartupProbe, startedAt).ok
	if !started {
		return false
	}
	if c.LivenessProbe != nil {
		m.probe(ctx, pod, podIP, c, cs, liveness, c.LivenessProbe, startedAt)
	}
	if c.ReadinessProbe == nil {
		return true
	}
	return m.probe(ctx, pod, podIP, c, cs, readiness, c.ReadinessProbe, startedAt).ok
}

func (m *Manager) probe(ctx context.Context, pod *corev1.Pod, podIP string, c *corev1.Container, cs *containerState, kind probeKind, p *corev1.Probe, startedAt time.Time) *probeState {
	ps := cs.probes[kind]
	if ps == nil {
		ps = &probeState{ok: kind == liveness} // alive until proven otherwise
		cs.probes[kind] = ps
	}
	now := time.Now()
	if now.Before(startedAt.Add(time.Duration(p.InitialDelaySeconds)*time.Second)) ||
		now.Before(ps.last.Add(time.Duration(max(p.PeriodSeconds, 1))*time.Second)) ||
		kind == startup && ps.ok {
		return ps
	}
	ps.last = now
	output, err := m.check(ctx, podIP, c, cs, p)
	if err == nil {
		ps.failures = 0
		ps.successes++
		if ps.successes >= max(p.SuccessThreshold, 1) {
			ps.ok = true
		}
		return ps
	}
	ps.successes = 0
	ps.failures++
	m.Recorder.Eventf(pod, corev1.EventTypeWarning, "Unhealthy", "%s probe failed: %s", kind, strings.TrimSpace(output+" "+err.Error()))
	if ps.failures < max(p.FailureThreshold, 1) {
		return ps
	}
	ps.ok = false
	if kind == readiness {
		return ps
	}
	m.Recorder.Eventf(pod, corev1.EventTypeNormal, "Killing", "Container %s failed %s probe, will be restarted", c.Name, strings.ToLower(string(kind)))
	grace := time.Duration(30) * time.Second
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	if p.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
	}
	// The container's exit is recorded at the next look, and the restart
	// policy restarts it.
	cs.killing = true
	id, bundle := cs.id, cs.bundle
	go func() { _ = m.Runtime.Stop(context.Background(), id, bundle, grace) }()
	return ps
}

// check runs one probe: exec (exit code 0), httpGet (a status from 200 to
// 399), tcpSocket (a connection) or grpc (SERVING from the gRPC health
// service), within timeoutSeconds.
func (m *Manager) check(ctx context.Context, podIP string, c *corev1.Container, cs *containerState, p *corev1.Probe) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(max(p.TimeoutSeconds, 1))*time.Second)
	defer cancel()
	switch {
	case p.Exec != nil:
		out, code, err := m.Runtime.Exec(ctx, cs.id, p.Exec.Command)
		if err != nil {
			return string(out), err
		}
		if code != 0 {
			return string(out), fmt.Errorf("command %q exited with %d", strings.Join(p.Exec.Command, " "), code)
		}
		return "", nil
	case p.HTTPGet != nil:
		port, err := resolvePort(p.HTTPGet.Port, c)
		if err != nil {
			return "", err
		}
		host := p.HTTPGet.Host
		if host == "" {
			host = podIP
		}
		scheme := strings.ToLower(string(p.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		url := fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host, strconv.Itoa(port)), p.HTTPGet.Path)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("User-Agent", "kube-probe/1.37")
		for _, h := range p.HTTPGet.HTTPHeaders {
			req.Header.Set(h.Name, h.Value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", fmt.Errorf("Get %q: %w", url, err)
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return "", fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return "", nil
	case p.TCPSocket != nil:
		port, err := resolvePort(p.TCPSocket.Port, c)
		if err != nil {
			return "", err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = podIP
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return "", err
		}
		conn.Close()
		return "", nil
	case p.GRPC != nil:
		service := ""
		if p.GRPC.Service != nil {
			service = *p.GRPC.Service
		}
		return "", grpcCheck(ctx, net.JoinHostPort(podIP, strconv.Itoa(int(p.GRPC.Port))), service)
	}
	return "", fmt.Errorf("the probe names no handler")
}

// grpcCheck asks address's gRPC health service (grpc.health.v1) about
// service, as upstream's gRPC probe: healthy only when it answers SERVING.
func grpcCheck(ctx context.Context, address, service string) error {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUserAgent("kube-probe/1.37"))
	if err != nil {
		return fmt.Errorf("failed to connect service %q: %w", address, err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	switch {
	case err != nil && status.Code(err) == codes.Unimplemented:
		return fmt.Errorf("error: this server does not implement the grpc health protocol (grpc.health.v1.Health): %s", status.Convert(err).Message())
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("timeout: health rpc did not complete within the probe's timeout: %w", err)
	case err != nil:
		return fmt.Errorf("error: health rpc probe failed: %w", err)
	case resp.GetStatus() != healthpb.HealthCheckResponse_SERVING:
		return fmt.Errorf("service unhealthy (responded with %q)", resp.GetStatus().String())
	}
	return nil
}

// resolvePort turns a probe's port (a number, or a container port's name)
// into a number.
func resolvePort(port intstr.IntOrString, c *corev1.Container) (int, error) {
	if port.Type == intstr.Int {
		return port.IntValue(), nil
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("couldn't find port %q in container %s", port.StrVal, c.Name)
}

// hook runs a lifecycle handler (exec or httpGet) against the container.
func (m *Manager) hook(ctx context.Context, podIP string, c *corev1.Container, cs *containerState, h *corev1.LifecycleHandler) error {
	switch {
	case h.Exec != nil:
		return m.probeHandler(ctx, podIP, c, cs, &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: h.Exec}, TimeoutSeconds: 30})
	case h.HTTPGet != nil:
		return m.probeHandler(ctx, podIP, c, cs, &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: h.HTTPGet}, TimeoutSeconds: 30})
	case h.Sleep != nil:
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(h.Sleep.Seconds) * time.Second):
		}
		return nil
	}
	return fmt.Errorf("this kubelet does not run tcpSocket lifecycle hooks")
}

func (m *Manager) probeHandler(ctx context.Context, podIP string, c *corev1.Container, cs *containerState, p *corev1.Probe) error {
	out, err := m.check(ctx, podIP, c, cs, p)
	if err != nil && out != "" {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(out))
	}
	return err
}

// postStart runs the container's postStart hook right after it started; a
// failure kills the container (its restart policy decides what next), as
// upstream.
func (m *Manager) postStart(ctx context.Context, pod *corev1.Pod, podIP string, c *corev1.Container, cs *containerState) {
	if c.Lifecycle == nil || c.Lifecycle.PostStart == nil || m.Hollow {
		return
	}
	if err := m.hook(ctx, podIP, c, cs, c.Lifecycle.PostStart); err != nil {
		m.Recorder.Eventf(pod, corev1.EventTypeWarning, "FailedPostStartHook", "PostStartHook failed: %v", err)
		m.Recorder.Eventf(pod, corev1.EventTypeNormal, "Killing", "FailedPostStartHook")
		_ = m.Runtime.Stop(ctx, cs.id, cs.bundle, 0)
	}
}

// preStop runs the preStop hooks of the pod's running containers, in
// parallel, within the grace period, before they are sent SIGTERM.
func (m *Manager) preStop(ctx context.Context, pod *corev1.Pod, st *podState, grace time.Duration) {
	if m.Hollow {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	done := make(chan struct{})
	started := 0
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cs := st.containers[c.Name]
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || cs == nil || !m.running(ctx, cs) {
			continue
		}
		started++
		go func() {
			defer func() { done <- struct{}{} }()
			if err := m.hook(ctx, st.podIP, c, cs, c.Lifecycle.PreStop); err != nil {
				m.Recorder.Eventf(pod, corev1.EventTypeWarning, "FailedPreStopHook", "PreStopHook failed: %v", err)
			}
		}()
	}
	for range started {
		<-done
	}
}
