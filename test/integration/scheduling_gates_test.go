package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// A pod with scheduling gates is not placed until the gates are removed;
// it shows SchedulingGated meanwhile, and nobody may bind it.
func TestSchedulingGatesHoldAPod(t *testing.T) {
	ctx := context.Background()
	_, client := schedulingCluster(t)
	addNode(t, client, nodeSpec{name: "gates-node"})
	gated := podWith("gated", "", func(p *corev1.Pod) {
		p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/quota-check"}}
	})
	created, err := client.CoreV1().Pods("default").Create(ctx, gated, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(created.Status.Conditions) != 1 || created.Status.Conditions[0].Reason != corev1.PodReasonSchedulingGated {
		t.Fatalf("conditions of a gated pod: %+v", created.Status.Conditions)
	}
	err = client.CoreV1().Pods("default").Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "gated"},
		Target: corev1.ObjectReference{Kind: "Node", Name: "gates-node"}}, metav1.CreateOptions{})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "non-empty .spec.schedulingGates") {
		t.Fatalf("binding a gated pod: %v", err)
	}

	// A pod created after the gated one is placed: the scheduler has looked
	// at its queue, and the gated pod is still where it was.
	createPod(t, client, podWith("ungated", "", nil))
	if node := nodeOf(t, client, "ungated"); node != "gates-node" {
		t.Fatalf("ungated went to %q", node)
	}
	if pod, err := client.CoreV1().Pods("default").Get(ctx, "gated", metav1.GetOptions{}); err != nil || pod.Spec.NodeName != "" {
		t.Fatalf("gated pod: node %q, %v", pod.Spec.NodeName, err)
	}
	table, err := client.CoreV1().RESTClient().Get().Namespace("default").Resource("pods").Name("gated").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"SchedulingGated"`) {
		t.Fatalf("kubectl's STATUS column of a gated pod: %s %v", table, err)
	}

	// Adding a gate is refused; removing the last one lets the pod be placed.
	_, err = client.CoreV1().Pods("default").Patch(ctx, "gated", types.JSONPatchType,
		[]byte(`[{"op":"add","path":"/spec/schedulingGates/-","value":{"name":"example.com/another"}}]`), metav1.PatchOptions{})
	if status, ok := err.(apierrors.APIStatus); !ok || status.Status().Code != http.StatusUnprocessableEntity {
		t.Fatalf("adding a gate: %v", err)
	}
	if _, err := client.CoreV1().Pods("default").Patch(ctx, "gated", types.JSONPatchType,
		[]byte(`[{"op":"remove","path":"/spec/schedulingGates"}]`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if node := nodeOf(t, client, "gated"); node != "gates-node" {
		t.Fatalf("gated went to %q", node)
	}
}

// The validation gaps upstream closes reach clients as 422 with field paths.
func TestPodValidationRefusesWhatUpstreamRefuses(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	bad := simplePod("bad")
	bad.Spec.SecurityContext = &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "Not_A_Sysctl!"}}}
	bad.Spec.Containers[0].LivenessProbe = &corev1.Probe{}
	bad.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, WhenUnsatisfiable: corev1.DoNotSchedule}}
	_, err := shared.Client.CoreV1().Pods(ns).Create(ctx, bad, metav1.CreateOptions{})
	for _, field := range []string{"spec.securityContext.sysctls[0].name", "spec.containers[0].livenessProbe", "spec.topologySpreadConstraints[0].topologyKey"} {
		assertInvalid(t, err, field)
	}
}
