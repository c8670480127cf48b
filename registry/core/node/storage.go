// Package node serves core/v1 nodes with their status subresource.
package node

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the nodes resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get no` work.
func (*REST) ShortNames() []string { return []string{"no"} }

// NewREST returns the nodes storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*corev1.Node](scheme.Scheme, false)
	s.ValidateObject = core.ValidateNode
	s.ValidateObjectUpdate = core.ValidateNodeUpdate
	s.Fields = core.NodeFields
	status := s.SplitStatus("v1", false)
	status.ValidateObjectUpdate = core.ValidateNodeStatusUpdate
	// A kubelet registers its node with its status in one create, as upstream
	// allows: the main resource keeps status on create.
	s.KeepStatusOnCreate()
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("nodes"),
		Singular: corev1.Resource("node"),
		New:      func() runtime.Object { return &corev1.Node{} },
		NewList:  func() runtime.Object { return &corev1.NodeList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

const rolePrefix = "node-role.kubernetes.io/"

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Status", Type: "string", Description: "The status of the node"},
	{Name: "Roles", Type: "string", Description: "The roles of the node"},
	tables.Age,
	{Name: "Version", Type: "string", Description: corev1.NodeSystemInfo{}.SwaggerDoc()["kubeletVersion"]},
	{Name: "Internal-IP", Type: "string", Priority: 1, Description: corev1.NodeStatus{}.SwaggerDoc()["addresses"]},
	{Name: "External-IP", Type: "string", Priority: 1, Description: corev1.NodeStatus{}.SwaggerDoc()["addresses"]},
	{Name: "OS-Image", Type: "string", Priority: 1, Description: corev1.NodeSystemInfo{}.SwaggerDoc()["osImage"]},
	{Name: "Kernel-Version", Type: "string", Priority: 1, Description: corev1.NodeSystemInfo{}.SwaggerDoc()["kernelVersion"]},
	{Name: "Container-Runtime", Type: "string", Priority: 1, Description: corev1.NodeSystemInfo{}.SwaggerDoc()["containerRuntimeVersion"]},
}, func(n *corev1.Node) []interface{} {
	info := n.Status.NodeInfo
	return []interface{}{n.Name, nodeStatus(n), roles(n), tables.Since(n.CreationTimestamp), info.KubeletVersion,
		address(n, corev1.NodeInternalIP), address(n, corev1.NodeExternalIP), orUnknown(info.OSImage),
		orUnknown(info.KernelVersion), orUnknown(info.ContainerRuntimeVersion)}
})

// nodeStatus prints Ready, NotReady or Unknown, with SchedulingDisabled
// for a cordoned node.
func nodeStatus(n *corev1.Node) string {
	status := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			switch c.Status {
			case corev1.ConditionTrue:
				status = "Ready"
			case corev1.ConditionFalse:
				status = "NotReady"
			}
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	return status
}

// roles lists the node-role.kubernetes.io/<role> labels.
func roles(n *corev1.Node) string {
	var out []string
	for k := range n.Labels {
		if role, ok := strings.CutPrefix(k, rolePrefix); ok && role != "" {
			out = append(out, role)
		}
	}
	if len(out) == 0 {
		return "<none>"
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func address(n *corev1.Node, typ corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == typ {
			return a.Address
		}
	}
	return "<none>"
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}
