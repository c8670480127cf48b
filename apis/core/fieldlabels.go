package core

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kybernetes/kybernetes/apis/fieldlabels"
)

// fieldLabels lists, per kind, the fields a field selector may name beyond
// metadata.name and metadata.namespace (which every kind supports), as
// upstream's core/v1 conversion registers them.
var fieldLabels = map[string][]string{
	"Namespace": {"status.phase"},
	"Secret":    {"type"},
	"Event": {
		"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
		"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
		"involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
	},
	"Pod": {
		"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
		"spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
	},
	"PodTemplate":           {},
	"Service":               {"spec.clusterIP", "spec.type"},
	"Endpoints":             {},
	"Node":                  {"spec.unschedulable"},
	"ReplicationController": {"status.replicas"},
	"ConfigMap":             {},
	"ServiceAccount":        {},
}

func addFieldLabelConversions(scheme *runtime.Scheme) error {
	for kind, extra := range fieldLabels {
		if err := fieldlabels.Register(scheme, corev1.SchemeGroupVersion.WithKind(kind), extra...); err != nil {
			return err
		}
	}
	return nil
}
