package pods

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// status is the pod's status from what the kubelet knows, by upstream's
// rules: container states with their last termination and restart count;
// phase Pending until every init container has succeeded and some
// container has run, Running while one runs or will be restarted,
// Succeeded or Failed once all have ended for good; the conditions
// PodReadyToStartContainers, Initialized, ContainersReady and Ready.
func (m *Manager) status(pod *corev1.Pod, st *podState) corev1.PodStatus {
	now := metav1.Now()
	started := st.startTime
	status := corev1.PodStatus{
		HostIP: m.NodeIP, HostIPs: []corev1.HostIP{{IP: m.NodeIP}},
		StartTime: &started, QOSClass: pod.Status.QOSClass,
	}
	if st.podIP != "" {
		status.PodIP, status.PodIPs = st.podIP, []corev1.PodIP{{IP: st.podIP}}
	}
	initDone := true
	initFailed := false
	sidecars, sidecarsReady := 0, 0
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		cs := m.containerStatus(pod, c, st.containers[c.Name])
		status.InitContainerStatuses = append(status.InitContainerStatuses, cs)
		if isSidecar(c) {
			// Done with the init sequence once started; its readiness
			// counts with the containers'.
			sidecars++
			if cs.Ready {
				sidecarsReady++
			}
			if !st.initialized && (cs.State.Running == nil || cs.Started == nil || !*cs.Started) {
				initDone = false
			}
			continue
		}
		if st.initialized {
			continue
		}
		if t := cs.State.Terminated; t == nil || t.ExitCode != 0 {
			initDone = false
			if t != nil && pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				initFailed = true
			}
		}
	}
	running, waiting, succeeded, failed, ready := 0, 0, 0, 0, 0
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cs := m.containerStatus(pod, c, st.containers[c.Name])
		if !initDone && cs.State.Waiting == nil && cs.State.Running == nil && cs.State.Terminated == nil {
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "PodInitializing"}
		}
		status.ContainerStatuses = append(status.ContainerStatuses, cs)
		switch {
		case cs.State.Running != nil:
			running++
			if cs.Ready {
				ready++
			}
		case cs.State.Terminated != nil:
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			} else {
				failed++
			}
		case cs.LastTerminationState.Terminated != nil:
			// Waiting to be restarted: it has run.
			running++
		default:
			waiting++
		}
	}
	n := len(pod.Spec.Containers)
	switch {
	case initFailed:
		status.Phase = corev1.PodFailed
	case !initDone || waiting > 0:
		status.Phase = corev1.PodPending
	case running > 0:
		status.Phase = corev1.PodRunning
	case succeeded+failed == n && pod.Spec.RestartPolicy == corev1.RestartPolicyAlways:
		status.Phase = corev1.PodRunning // they will be restarted
	case failed > 0:
		status.Phase = corev1.PodFailed
	case succeeded == n:
		status.Phase = corev1.PodSucceeded
	default:
		status.Phase = corev1.PodPending
	}
	cond := func(t corev1.PodConditionType, ok bool, reason string) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, LastTransitionTime: now}
		if ok {
			c.Status, c.Reason = corev1.ConditionTrue, ""
		}
		for _, old := range pod.Status.Conditions {
			if old.Type == t && old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
		return c
	}
	finished := status.Phase == corev1.PodSucceeded || status.Phase == corev1.PodFailed
	allReady := ready == n && sidecarsReady == sidecars && !finished
	notReadyReason := "ContainersNotReady"
	if finished {
		notReadyReason = "PodCompleted"
	}
	initReason := "ContainersNotInitialized"
	if finished && initDone {
		initReason = ""
	}
	status.Conditions = []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, st.sandbox, ""),
		cond(corev1.PodInitialized, initDone, initReason),
		cond(corev1.ContainersReady, allReady, notReadyReason),
		cond(corev1.PodReady, allReady, notReadyReason),
	}
	// PodScheduled belongs to the scheduler: keep it.
	for _, old := range pod.Status.Conditions {
		if old.Type == corev1.PodScheduled {
			status.Conditions = append(status.Conditions, old)
		}
	}
	storedTimes(&status)
	return status
}

// storedTimes truncates the status's times to whole seconds, as the API
// stores them (JSON and protobuf alike): a status compared with what the
// API holds must not differ by nanoseconds, or it would be written again
// at every look.
func storedTimes(status *corev1.PodStatus) {
	second := func(t *metav1.Time) {
		if t != nil {
			*t = metav1.NewTime(t.Truncate(time.Second))
		}
	}
	second(status.StartTime)
	for i := range status.Conditions {
		second(&status.Conditions[i].LastTransitionTime)
		second(&status.Conditions[i].LastProbeTime)
	}
	for _, list := range [][]corev1.ContainerStatus{status.InitContainerStatuses, status.ContainerStatuses} {
		for i := range list {
			for _, state := range []*corev1.ContainerState{&list[i].State, &list[i].LastTerminationState} {
				if state.Running != nil {
					second(&state.Running.StartedAt)
				}
				if state.Terminated != nil {
					second(&state.Terminated.StartedAt)
					second(&state.Terminated.FinishedAt)
				}
			}
		}
	}
}

func (m *Manager) containerStatus(pod *corev1.Pod, c *corev1.Container, cs *containerState) corev1.ContainerStatus {
	out := corev1.ContainerStatus{Name: c.Name, Image: c.Image}
	// Not created yet: upstream's default waiting reason, PodInitializing
	// in a pod with init containers.
	notCreated := &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	if len(pod.Spec.InitContainers) > 0 {
		notCreated.Reason = "PodInitializing"
	}
	if cs == nil {
		out.State.Waiting = notCreated
		return out
	}
	out.RestartCount = cs.restarts
	if cs.image.ID != "" {
		out.ImageID = cs.image.ID
	}
	started := false
	switch {
	case cs.id != "":
		out.ContainerID = m.Runtime.Name() + "://" + cs.id
		state, err := m.Runtime.State(context.Background(), cs.id, cs.bundle)
		if err == nil && !state.Exited {
			out.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(state.StartedAt)}
			// Set by the probes; a container without probes is ready
			// and started once running.
			out.Ready, started = cs.ready, cs.started
		} else {
			out.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
		}
		if cs.last != nil {
			out.LastTerminationState.Terminated = cs.last
		}
	case cs.waiting != nil:
		out.State.Waiting = cs.waiting
		if cs.last != nil {
			out.LastTerminationState.Terminated = cs.last
		}
	case cs.last != nil:
		// Ended for good (the restart policy keeps it down).
		out.State.Terminated = cs.last
		out.ContainerID = cs.last.ContainerID
	default:
		out.State.Waiting = notCreated
	}
	out.Started = &started
	return out
}
