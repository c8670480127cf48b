package endpoints

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kybernetes/kybernetes/controllers/lib/podstatus"
)

// Backend is one pod behind one service port: the pod's IP and the port
// the service's targetPort resolves to in that pod.
type Backend struct {
	Pod         *corev1.Pod
	IP          string
	ServicePort corev1.ServicePort
	Port        int32
	Ready       bool
	Terminating bool
}

// Backends lists, for every service port, the pods that serve it: pods
// with an IP, not finished; terminating pods only when the service
// publishes not-ready addresses. A named targetPort resolves in each pod
// by container port name, as upstream; a pod without that name is skipped
// for that port.
func Backends(svc *corev1.Service, pods []*corev1.Pod) []Backend {
	var out []Backend
	for _, pod := range pods {
		ip := pod.Status.PodIP
		if ip == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		terminating := pod.DeletionTimestamp != nil
		if terminating && !svc.Spec.PublishNotReadyAddresses {
			continue
		}
		ready := svc.Spec.PublishNotReadyAddresses || (podstatus.Ready(pod) && !terminating)
		for _, sp := range svc.Spec.Ports {
			port, ok := resolvePort(pod, sp)
			if !ok {
				continue
			}
			out = append(out, Backend{Pod: pod, IP: ip, ServicePort: sp, Port: port, Ready: ready, Terminating: terminating})
		}
	}
	return out
}

func resolvePort(pod *corev1.Pod, sp corev1.ServicePort) (int32, bool) {
	target := sp.TargetPort
	switch {
	case target.Type == intstr.String && target.StrVal != "":
		for _, c := range pod.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name == target.StrVal && p.Protocol == sp.Protocol {
					return p.ContainerPort, true
				}
			}
		}
		return 0, false
	case target.IntVal != 0:
		return target.IntVal, true
	}
	return sp.Port, true
}
