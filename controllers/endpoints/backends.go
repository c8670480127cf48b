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
	// IPs are all the pod's addresses, one per family.
	IPs                         []string
	Ready, Serving, Terminating bool
}

func podIPs(pod *corev1.Pod) []string {
	var ips []string
	for _, ip := range pod.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	if len(ips) == 0 && pod.Status.PodIP != "" {
		ips = []string{pod.Status.PodIP}
	}
	return ips
}

// Backends lists, for every service port, the pods that serve it: pods
// with an IP that have not finished, terminating ones included (marked so).
// Ready is what the Endpoints and the slice's ready condition say:
// a ready pod that is not terminating, or any pod when the service
// publishes not-ready addresses. A named targetPort resolves in each pod by
// container port name, as upstream; a pod without that name is skipped for
// that port.
func Backends(svc *corev1.Service, pods []*corev1.Pod) []Backend {
	var out []Backend
	for _, pod := range pods {
		ip := pod.Status.PodIP
		if ip == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		terminating := pod.DeletionTimestamp != nil
		serving := podstatus.Ready(pod)
		ready := svc.Spec.PublishNotReadyAddresses || (serving && !terminating)
		for _, sp := range svc.Spec.Ports {
			port, ok := resolvePort(pod, sp)
			if !ok {
				continue
			}
			out = append(out, Backend{Pod: pod, IP: ip, IPs: podIPs(pod), ServicePort: sp, Port: port, Ready: ready, Serving: serving, Terminating: terminating})
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
