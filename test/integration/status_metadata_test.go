package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// A merge patch to /status that also changes metadata keeps both where
// upstream does: every older kind keeps labels and annotations, the apps/v1
// workloads keep annotations but not labels.
func TestStatusWritesKeepMetadataAsUpstream(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	core, apps, batch := shared.Client.CoreV1().RESTClient(), shared.Client.AppsV1().RESTClient(), shared.Client.BatchV1().RESTClient()
	labels := map[string]string{"app": "status"}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	cases := []struct {
		resource   string
		namespaced bool
		client     rest.Interface
		object     runtime.Object
		status     map[string]any
		keepLabels bool
	}{
		{"pods", true, core, simplePod("status-pod"), map[string]any{"phase": "Running"}, true},
		{"nodes", false, core, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "status-node-" + ns}},
			map[string]any{"capacity": map[string]any{"pods": "110"}}, true},
		{"services", true, core, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "status-svc"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}},
			map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "Test", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}}}, true},
		{"namespaces", false, core, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns + "-status"}},
			map[string]any{"phase": "Active"}, true},
		{"replicationcontrollers", true, core, &corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "status-rc"},
			Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](0), Selector: labels, Template: &template}},
			map[string]any{"replicas": 0, "observedGeneration": 1}, true},
		{"jobs", true, batch, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "status-job"},
			Spec: batchv1.JobSpec{Suspend: ptr.To(true), Template: func() corev1.PodTemplateSpec {
				t := *template.DeepCopy()
				t.Spec.RestartPolicy = corev1.RestartPolicyNever
				return t
			}()}},
			map[string]any{"active": 1}, true},
		{"deployments", true, apps, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "status-deploy"},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template}},
			map[string]any{"observedGeneration": 1}, false},
		{"replicasets", true, apps, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "status-rs"},
			Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template}},
			map[string]any{"replicas": 0, "observedGeneration": 1}, false},
	}
	for _, c := range cases {
		t.Run(c.resource, func(t *testing.T) {
			m, _ := meta.Accessor(c.object)
			name := m.GetName()
			// NamespaceIfScoped leaves cluster-scoped paths without a namespace.
			namespace := ns
			if err := c.client.Post().NamespaceIfScoped(namespace, c.namespaced).Resource(c.resource).Body(c.object).Do(ctx).Error(); err != nil {
				t.Fatalf("create: %v", err)
			}
			patch, _ := json.Marshal(map[string]any{
				"metadata": map[string]any{
					"annotations": map[string]any{"example.com/written-by": "status"},
					"labels":      map[string]any{"example.com/status-label": "yes"},
				},
				"status": c.status,
			})
			raw, err := c.client.Patch(types.MergePatchType).NamespaceIfScoped(namespace, c.namespaced).Resource(c.resource).Name(name).
				SubResource("status").Body(patch).DoRaw(ctx)
			if err != nil {
				t.Fatalf("status patch: %v: %s", err, raw)
			}
			var got struct {
				Metadata metav1.ObjectMeta `json:"metadata"`
				Status   map[string]any    `json:"status"`
			}
			raw, err = c.client.Get().NamespaceIfScoped(namespace, c.namespaced).Resource(c.resource).Name(name).DoRaw(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.Metadata.Annotations["example.com/written-by"] != "status" {
				t.Errorf("annotation from the status patch lost: %v", got.Metadata.Annotations)
			}
			if _, kept := got.Metadata.Labels["example.com/status-label"]; kept != c.keepLabels {
				t.Errorf("label from the status patch kept = %v, upstream keeps it = %v", kept, c.keepLabels)
			}
			for k, v := range c.status {
				if fmt.Sprint(got.Status[k]) != fmt.Sprint(v) {
					t.Errorf("status.%s = %v, want %v", k, got.Status[k], v)
				}
			}
			if c.resource == "nodes" {
				_ = shared.Client.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{})
			}
		})
	}
}

// pods/status never changes owner references: old kubelets corrupted them
// and upstream keeps the stored ones.
func TestPodStatusKeepsOwnerReferences(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pod := simplePod("owned")
	pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: "1234"}}
	if _, err := shared.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	patch := []byte(`{"metadata":{"ownerReferences":null},"status":{"phase":"Running"}}`)
	got, err := shared.Client.CoreV1().Pods(ns).Patch(ctx, "owned", types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.OwnerReferences) != 1 || got.Status.Phase != corev1.PodRunning {
		t.Fatalf("owner references %v, phase %s", got.OwnerReferences, got.Status.Phase)
	}
}
