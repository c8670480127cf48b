package core

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kybernetes/kybernetes/apis/fieldlabels"
)

// The functions below give, per kind, the fields a field selector may name
// beyond metadata.name and metadata.namespace, as upstream's core/v1
// registers them. The storage matches with them and the scheme's field-label
// conversion accepts exactly their keys.

// NamespaceFields are a namespace's selectable fields.
func NamespaceFields(ns *corev1.Namespace) fields.Set {
	return fields.Set{"status.phase": string(ns.Status.Phase)}
}

// SecretFields are a secret's selectable fields.
func SecretFields(secret *corev1.Secret) fields.Set {
	return fields.Set{"type": string(secret.Type)}
}

// ServiceFields are a service's selectable fields.
func ServiceFields(svc *corev1.Service) fields.Set {
	return fields.Set{"spec.clusterIP": svc.Spec.ClusterIP, "spec.type": string(svc.Spec.Type)}
}

// NodeFields are a node's selectable fields.
func NodeFields(n *corev1.Node) fields.Set {
	return fields.Set{"spec.unschedulable": fmt.Sprint(n.Spec.Unschedulable)}
}

// ReplicationControllerFields are a replication controller's selectable fields.
func ReplicationControllerFields(rc *corev1.ReplicationController) fields.Set {
	return fields.Set{"status.replicas": fmt.Sprint(rc.Status.Replicas)}
}

// PodFields are a pod's selectable fields; status.podIPs matches the
// primary IP, as upstream.
func PodFields(pod *corev1.Pod) fields.Set {
	podIPs := ""
	if len(pod.Status.PodIPs) > 0 {
		podIPs = pod.Status.PodIPs[0].IP
	}
	return fields.Set{
		"spec.nodeName":            pod.Spec.NodeName,
		"spec.restartPolicy":       string(pod.Spec.RestartPolicy),
		"spec.schedulerName":       pod.Spec.SchedulerName,
		"spec.serviceAccountName":  pod.Spec.ServiceAccountName,
		"spec.hostNetwork":         fmt.Sprint(pod.Spec.HostNetwork),
		"status.phase":             string(pod.Status.Phase),
		"status.podIP":             pod.Status.PodIP,
		"status.podIPs":            podIPs,
		"status.nominatedNodeName": pod.Status.NominatedNodeName,
	}
}

// EventFields are an event's selectable fields; source falls back to the
// reporting controller for events written through events.k8s.io.
func EventFields(ev *corev1.Event) fields.Set {
	source := ev.Source.Component
	if source == "" {
		source = ev.ReportingController
	}
	return fields.Set{
		"involvedObject.kind":            ev.InvolvedObject.Kind,
		"involvedObject.namespace":       ev.InvolvedObject.Namespace,
		"involvedObject.name":            ev.InvolvedObject.Name,
		"involvedObject.uid":             string(ev.InvolvedObject.UID),
		"involvedObject.apiVersion":      ev.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": ev.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       ev.InvolvedObject.FieldPath,
		"reason":                         ev.Reason,
		"reportingComponent":             ev.ReportingController,
		"source":                         source,
		"type":                           ev.Type,
	}
}

func addFieldLabelConversions(scheme *runtime.Scheme) error {
	gv := corev1.SchemeGroupVersion
	for _, err := range []error{
		fieldlabels.Register(scheme, gv.WithKind("Namespace"), NamespaceFields),
		fieldlabels.Register(scheme, gv.WithKind("Secret"), SecretFields),
		fieldlabels.Register(scheme, gv.WithKind("Service"), ServiceFields),
		fieldlabels.Register(scheme, gv.WithKind("Node"), NodeFields),
		fieldlabels.Register(scheme, gv.WithKind("ReplicationController"), ReplicationControllerFields),
		fieldlabels.Register(scheme, gv.WithKind("Pod"), PodFields),
		fieldlabels.Register(scheme, gv.WithKind("Event"), EventFields),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
