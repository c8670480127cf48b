// Package defaulttolerationseconds is upstream's DefaultTolerationSeconds
// admission: a new pod that does not tolerate the not-ready and unreachable
// NoExecute taints gets tolerations for them with a toleration time (300 s
// by default), so that the taint eviction controller evicts it that long
// after its node fails, not at once.
package defaulttolerationseconds

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/admission"
)

// PluginName is the upstream name of the plugin.
const PluginName = "DefaultTolerationSeconds"

// Plugin adds the default tolerations.
type Plugin struct {
	*admission.Handler
	notReadySeconds, unreachableSeconds int64
}

var _ admission.MutationInterface = &Plugin{}

// New returns the plugin with the given toleration times.
func New(notReadySeconds, unreachableSeconds int64) *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create),
		notReadySeconds: notReadySeconds, unreachableSeconds: unreachableSeconds}
}

// Admit adds the tolerations a new pod lacks.
func (p *Plugin) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != corev1.Resource("pods") || a.GetSubresource() != "" {
		return nil
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return nil
	}
	defaults := []struct {
		key     string
		seconds int64
	}{{corev1.TaintNodeNotReady, p.notReadySeconds}, {corev1.TaintNodeUnreachable, p.unreachableSeconds}}
	for _, d := range defaults {
		if !toleratesNoExecute(pod.Spec.Tolerations, d.key) {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{Key: d.key, Operator: corev1.TolerationOpExists,
				Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &d.seconds})
		}
	}
	return nil
}

// toleratesNoExecute: a toleration for key that covers NoExecute (an empty
// effect covers every effect), as upstream checks before adding its own.
func toleratesNoExecute(tolerations []corev1.Toleration, key string) bool {
	for _, t := range tolerations {
		if (t.Key == key || t.Key == "" && t.Operator == corev1.TolerationOpExists) &&
			(t.Effect == "" || t.Effect == corev1.TaintEffectNoExecute) {
			return true
		}
	}
	return false
}
