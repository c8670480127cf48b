package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/registry"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// warnings collects the Warning headers a client is sent.
type warnings struct {
	mu   sync.Mutex
	seen []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

// take returns the warnings seen since the last take.
func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := w.seen
	w.seen = nil
	return seen
}

// warningClient is a client of config whose warnings land in the returned
// collector instead of the test's log.
func warningClient(t *testing.T, config *rest.Config) (kubernetes.Interface, *warnings) {
	t.Helper()
	collected := &warnings{}
	config = rest.CopyConfig(config)
	config.WarningHandler = collected
	return kubernetes.NewForConfigOrDie(config), collected
}

func labelNamespace(t *testing.T, client kubernetes.Interface, ns string, labels map[string]string) error {
	t.Helper()
	namespace, err := client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if namespace.Labels == nil {
		namespace.Labels = map[string]string{}
	}
	for k, v := range labels {
		namespace.Labels[k] = v
	}
	_, err = client.CoreV1().Namespaces().Update(context.Background(), namespace, metav1.UpdateOptions{})
	return err
}

// waitUntilRefused waits until admission, whose namespace cache sees a
// label change a moment after it is written, refuses a dry run of pod in
// ns with a message containing want.
func waitUntilRefused(t *testing.T, client kubernetes.Interface, ns string, pod *corev1.Pod, want string) {
	t.Helper()
	waitFor(t, "a dry run refused with "+want, func(ctx context.Context) bool {
		_, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return apierrors.IsForbidden(err) && strings.Contains(err.Error(), want)
	})
}

func privilegedPod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}}
}

// restrictedPod meets the restricted level: not root, no privilege
// escalation, every capability dropped, the runtime's seccomp profile.
func restrictedPod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: "c", Image: "busybox", SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}}}}
}

// PodSecurity: a namespace's enforce label refuses pods that break its
// level with upstream's message, warn labels warn about pods and pod
// templates, and raising a namespace's level warns about the pods it
// already has.
func TestPodSecurityLevels(t *testing.T) {
	ctx := context.Background()
	client, warned := warningClient(t, shared.Config)

	// Unlabelled namespaces are privileged, as upstream's default.
	ns := newNamespace(t)
	if _, err := client.CoreV1().Pods(ns).Create(ctx, privilegedPod("before"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("a privileged pod in an unlabelled namespace: %v", err)
	}

	// Enforcing restricted warns about the pod already there, and does not
	// remove it.
	warned.take()
	if err := labelNamespace(t, client, ns, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(warned.take(), "\n")
	if !strings.Contains(got, `existing pods in namespace "`+ns+`" violate the new PodSecurity enforce level "restricted:latest"`) ||
		!strings.Contains(got, "before: ") {
		t.Errorf("warnings on labelling the namespace: %q", got)
	}
	if _, err := client.CoreV1().Pods(ns).Get(ctx, "before", metav1.GetOptions{}); err != nil {
		t.Errorf("the existing pod: %v", err)
	}
	waitUntilRefused(t, client, ns, privilegedPod("probe"), `violates PodSecurity "restricted:latest"`)

	_, err := client.CoreV1().Pods(ns).Create(ctx, privilegedPod("priv"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(),
		`pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)`) {
		t.Fatalf("a privileged pod in a restricted namespace: %v", err)
	}
	for _, part := range []string{`allowPrivilegeEscalation != false`, `unrestricted capabilities`, `runAsNonRoot != true`, `seccompProfile`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("the refusal does not name %q: %v", part, err)
		}
	}
	if _, err := client.CoreV1().Pods(ns).Create(ctx, restrictedPod("ok"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("a restricted pod in a restricted namespace: %v", err)
	}
	// Updates that change the pod's spec are evaluated too.
	if _, err := client.CoreV1().Pods(ns).Patch(ctx, "ok", "application/strategic-merge-patch+json",
		[]byte(`{"spec":{"activeDeadlineSeconds":60}}`), metav1.PatchOptions{}); err != nil {
		t.Errorf("an insignificant update of a restricted pod: %v", err)
	}

	// Baseline allows root but not the host's namespaces.
	baseline := newNamespace(t)
	if err := labelNamespace(t, client, baseline, map[string]string{"pod-security.kubernetes.io/enforce": "baseline",
		"pod-security.kubernetes.io/warn": "restricted"}); err != nil {
		t.Fatal(err)
	}
	hostNet := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hostnet"}, Spec: corev1.PodSpec{HostNetwork: true,
		Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	// Both labels came in one update: once enforce is seen, warn is.
	waitUntilRefused(t, client, baseline, hostNet, `violates PodSecurity "baseline:latest"`)
	root := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "root"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox",
		SecurityContext: &corev1.SecurityContext{RunAsUser: ptr.To[int64](0)}}}}}
	warned.take()
	if _, err := client.CoreV1().Pods(baseline).Create(ctx, root, metav1.CreateOptions{}); err != nil {
		t.Fatalf("a root pod under baseline: %v", err)
	}
	if got := strings.Join(warned.take(), "\n"); !strings.Contains(got, `would violate PodSecurity "restricted:latest"`) || !strings.Contains(got, "runAsUser=0") {
		t.Errorf("warnings for a root pod under warn=restricted: %q", got)
	}
	_, err = client.CoreV1().Pods(baseline).Create(ctx, hostNet, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)`) {
		t.Fatalf("a host-network pod under baseline: %v", err)
	}

	// A controller whose template breaks the level is admitted with a
	// warning; its pods are what enforce refuses.
	deployment := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec: privilegedPod("").Spec}}}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, deployment, metav1.CreateOptions{}); err != nil {
		t.Fatalf("a deployment with a privileged template: %v", err)
	}
	if got := strings.Join(warned.take(), "\n"); !strings.Contains(got, `would violate PodSecurity "restricted:latest": privileged`) {
		t.Errorf("warnings for a privileged deployment template: %q", got)
	}

	// A label value that is not a level or version is refused with 422
	// and the label's field path; the stored labels stay.
	err = labelNamespace(t, client, baseline, map[string]string{"pod-security.kubernetes.io/enforce": "strict"})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted`) {
		t.Fatalf("an invalid level label: %v", err)
	}
	stored, err := client.CoreV1().Namespaces().Get(ctx, baseline, metav1.GetOptions{})
	if err != nil || stored.Labels["pod-security.kubernetes.io/enforce"] != "baseline" {
		t.Fatalf("the namespace after a refused label: %v %v", stored.Labels, err)
	}
	// A pinned version is honoured.
	if err := labelNamespace(t, client, baseline, map[string]string{"pod-security.kubernetes.io/enforce-version": "v1.30"}); err != nil {
		t.Fatal(err)
	}
	waitUntilRefused(t, client, baseline, hostNet, `violates PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true)`)
}

// The plugin's configuration (--admission-control-config-file): cluster
// defaults for unlabelled namespaces and exempt namespaces and users.
func TestPodSecurityConfiguration(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "admission.yaml")
	if err := os.WriteFile(config, []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      enforce-version: latest
    exemptions:
      namespaces: [exempt]
      usernames: [trusted-user]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	server := framework.Start(t, framework.Setup{WithoutControllers: true, Customize: func(o *registry.Options) {
		o.Admission.ConfigFile = config
	}})
	ctx := context.Background()
	for _, ns := range []string{"plain", "exempt"} {
		if _, err := server.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := server.Client.CoreV1().Pods("plain").Create(ctx, privilegedPod("priv"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "baseline:latest": privileged`) {
		t.Fatalf("a privileged pod under the configured default: %v", err)
	}
	if _, err := server.Client.CoreV1().Pods("exempt").Create(ctx, privilegedPod("priv"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("a privileged pod in an exempt namespace: %v", err)
	}
	trusted := rest.CopyConfig(server.Config)
	trusted.Impersonate = rest.ImpersonationConfig{UserName: "trusted-user", Groups: []string{"system:masters"}}
	if _, err := kubernetes.NewForConfigOrDie(trusted).CoreV1().Pods("plain").Create(ctx, privilegedPod("by-trusted"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("a privileged pod created by an exempt user: %v", err)
	}
}
