package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const tokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// tokenVolume is the pod's kube-api-access-* volume, or nil.
func tokenVolume(pod *corev1.Pod) *corev1.Volume {
	for i, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, "kube-api-access-") {
			return &pod.Spec.Volumes[i]
		}
	}
	return nil
}

func mountsAt(c corev1.Container, volume, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.Name == volume && m.MountPath == path && m.ReadOnly {
			return true
		}
	}
	return false
}

// ServiceAccount admission: a pod runs as "default" unless it names an
// account, which must exist; every container gets the projected token
// volume unless the pod or account opts out; the account's pull secrets
// are the pod's when it has none; mirror pods may not use credentials.
func TestServiceAccountAdmission(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pods := shared.Client.CoreV1().Pods(ns)

	// The namespace's default account is made by the controller manager a
	// moment after the namespace; admission waits for it.
	pod, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
		Containers:     []corev1.Container{{Name: "app", Image: "busybox"}, {Name: "own", Image: "busybox", VolumeMounts: []corev1.VolumeMount{{Name: "mine", MountPath: tokenMountPath}}}},
		Volumes:        []corev1.Volume{{Name: "mine", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a pod in a new namespace: %v", err)
	}
	if pod.Spec.ServiceAccountName != "default" || pod.Spec.DeprecatedServiceAccount != "default" { //nolint:staticcheck // the alias is checked on purpose
		t.Errorf("service account %q / %q", pod.Spec.ServiceAccountName, pod.Spec.DeprecatedServiceAccount) //nolint:staticcheck
	}
	v := tokenVolume(pod)
	if v == nil || v.Projected == nil || len(v.Name) != len("kube-api-access-")+5 {
		t.Fatalf("token volume: %+v", pod.Spec.Volumes)
	}
	p := v.Projected
	if *p.DefaultMode != 0o644 || len(p.Sources) != 3 ||
		p.Sources[0].ServiceAccountToken == nil || p.Sources[0].ServiceAccountToken.Path != "token" || *p.Sources[0].ServiceAccountToken.ExpirationSeconds != 3607 ||
		p.Sources[1].ConfigMap == nil || p.Sources[1].ConfigMap.Name != "kube-root-ca.crt" || p.Sources[1].ConfigMap.Items[0].Path != "ca.crt" ||
		p.Sources[2].DownwardAPI == nil || p.Sources[2].DownwardAPI.Items[0].FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("projection: %+v", p)
	}
	if !mountsAt(pod.Spec.InitContainers[0], v.Name, tokenMountPath) || !mountsAt(pod.Spec.Containers[0], v.Name, tokenMountPath) {
		t.Errorf("init and app containers do not mount the token: %+v %+v", pod.Spec.InitContainers[0].VolumeMounts, pod.Spec.Containers[0].VolumeMounts)
	}
	if len(pod.Spec.Containers[1].VolumeMounts) != 1 {
		t.Errorf("a container mounting its own volume at the path got the token too: %+v", pod.Spec.Containers[1].VolumeMounts)
	}

	// A missing account is refused, with nothing stored.
	_, err = pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "lost"}, Spec: corev1.PodSpec{ServiceAccountName: "missing",
		Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	want := `pods "lost" is forbidden: error looking up service account ` + ns + `/missing: serviceaccount "missing" not found`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("a pod of a missing account: %v\nwant %s", err, want)
	}

	// An account that opts out, and a pod that opts back in; the
	// account's pull secrets.
	if _, err := shared.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "quiet"},
		AutomountServiceAccountToken: ptr.To(false), ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	quiet, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "quiet"}, Spec: corev1.PodSpec{ServiceAccountName: "quiet",
		Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tokenVolume(quiet) != nil || len(quiet.Spec.ImagePullSecrets) != 1 || quiet.Spec.ImagePullSecrets[0].Name != "registry" {
		t.Errorf("pod of an account that opts out: volumes %+v, pull secrets %+v", quiet.Spec.Volumes, quiet.Spec.ImagePullSecrets)
	}
	loud, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "loud"}, Spec: corev1.PodSpec{ServiceAccountName: "quiet",
		AutomountServiceAccountToken: ptr.To(true), ImagePullSecrets: []corev1.LocalObjectReference{{Name: "own"}},
		Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tokenVolume(loud) == nil || len(loud.Spec.ImagePullSecrets) != 1 || loud.Spec.ImagePullSecrets[0].Name != "own" {
		t.Errorf("pod that opts in: volumes %+v, pull secrets %+v", loud.Spec.Volumes, loud.Spec.ImagePullSecrets)
	}

	// Mirror pods are not changed, and may not use credentials.
	mirror := func(name string, spec corev1.PodSpec) error {
		spec.NodeName = "sa-node"
		_, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name,
			Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "hash"}}, Spec: spec}, metav1.CreateOptions{})
		return err
	}
	if err := mirror("static", corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}); err != nil {
		t.Fatalf("a mirror pod: %v", err)
	}
	if got, err := pods.Get(ctx, "static", metav1.GetOptions{}); err != nil || got.Spec.ServiceAccountName != "" || tokenVolume(got) != nil {
		t.Errorf("the mirror pod was changed: %+v %v", got.Spec, err)
	}
	err = mirror("static-sa", corev1.PodSpec{ServiceAccountName: "default", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "a mirror pod may not reference service accounts") {
		t.Errorf("a mirror pod with an account: %v", err)
	}
	err = mirror("static-secret", corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
		Volumes: []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}}}})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "a mirror pod may not reference secrets") {
		t.Errorf("a mirror pod with a secret: %v", err)
	}
}

// jwtClaims decodes a token's claims, unverified.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// What the kubelet asks for a projected volume: a token bound to the pod,
// for 3607 s — extended to a year with a warnafter claim at the hour, as
// upstream — and only for the service accounts of the node's own pods.
func TestProjectedVolumeTokens(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pod, err := shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{NodeName: "token-node-a", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	request := func() *authenticationv1.TokenRequest {
		return &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3607),
			BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: "p", UID: pod.UID}}}
	}
	nodeA := as(t, "system:node:token-node-a", "system:nodes")
	var issued *authenticationv1.TokenRequest
	waitFor(t, "node a's token for its pod", func(ctx context.Context) bool {
		issued, err = nodeA.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", request(), metav1.CreateOptions{})
		return err == nil
	})
	if left := time.Until(issued.Status.ExpirationTimestamp.Time); left < 59*time.Minute || left > 61*time.Minute {
		t.Errorf("status expiration in %s, want the hour asked for", left)
	}
	claims := jwtClaims(t, issued.Status.Token)
	exp, iat := claims["exp"].(float64), claims["iat"].(float64)
	if days := (exp - iat) / 86400; days < 364 || days > 366 {
		t.Errorf("extended token lasts %.1f days, want a year", days)
	}
	k8s := claims["kubernetes.io"].(map[string]any)
	if warn, ok := k8s["warnafter"].(float64); !ok || warn-iat != 3607 {
		t.Errorf("warnafter %v (iat %v)", k8s["warnafter"], iat)
	}
	if k8s["pod"].(map[string]any)["uid"] != string(pod.UID) || k8s["node"].(map[string]any)["name"] != "token-node-a" {
		t.Errorf("bound claims: %v", k8s)
	}

	// Another node, or another account, is refused.
	nodeB := as(t, "system:node:token-node-b", "system:nodes")
	_, err = nodeB.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", request(), metav1.CreateOptions{})
	want := `serviceaccounts "default" is forbidden: User "system:node:token-node-b" cannot create resource "serviceaccounts/token" in API group "" in the namespace "` + ns + `": node: no relationship found between node 'token-node-b' and this object`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("node b: %v\nwant %s", err, want)
	}
	if _, err := shared.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := nodeA.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "other", &authenticationv1.TokenRequest{}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("node a, an account none of its pods runs as: want 403, got %v", err)
	}

	// Any other expiration, or an unbound token, is not extended.
	plain, err := shared.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3607)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claims = jwtClaims(t, plain.Status.Token)
	if life := claims["exp"].(float64) - claims["iat"].(float64); life != 3607 {
		t.Errorf("an unbound 3607 s token lasts %v s", life)
	}
}

// An account annotated kubernetes.io/enforce-mountable-secrets: "true"
// lets its pods use only the Secrets it lists, and its image pull
// secrets, refused with upstream's messages; "false" enforces nothing.
func TestEnforceMountableSecrets(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	accounts := shared.Client.CoreV1().ServiceAccounts(ns)
	for name, enforce := range map[string]string{"locked": "true", "open": "false"} {
		if _, err := accounts.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name,
			Annotations: map[string]string{"kubernetes.io/enforce-mountable-secrets": enforce}},
			Secrets: []corev1.ObjectReference{{Name: "allowed"}}, ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	secretEnv := func(name, secret string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "k"}}}
	}
	pod := func(name, account string, change func(*corev1.PodSpec)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{ServiceAccountName: account,
			Containers: []corev1.Container{{Name: "app", Image: "busybox", Env: []corev1.EnvVar{secretEnv("OK", "allowed")}}},
			Volumes:    []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "allowed"}}}},
		}}
		if change != nil {
			change(&p.Spec)
		}
		return p
	}
	pods := shared.Client.CoreV1().Pods(ns)
	if _, err := pods.Create(ctx, pod("fine", "locked", nil), metav1.CreateOptions{}); err != nil {
		t.Fatalf("a pod using only the listed secret: %v", err)
	}
	for _, c := range []struct {
		name   string
		change func(*corev1.PodSpec)
		want   string
	}{
		{"volume", func(s *corev1.PodSpec) { s.Volumes[0].Secret.SecretName = "other" },
			`volume with secret.secretName="other" is not allowed because service account locked does not reference that secret`},
		{"init-env-from", func(s *corev1.PodSpec) {
			s.InitContainers = []corev1.Container{{Name: "init", Image: "busybox", EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "other"}}}}}}
		}, `init container init with envFrom referencing secret.secretName="other" is not allowed because service account locked does not reference that secret`},
		{"env", func(s *corev1.PodSpec) { s.Containers[0].Env = append(s.Containers[0].Env, secretEnv("BAD", "other")) },
			`container app with envVar BAD referencing secret.secretName="other" is not allowed because service account locked does not reference that secret`},
		{"pull", func(s *corev1.PodSpec) {
			s.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}, {Name: "other"}}
		},
			`imagePullSecrets[1].name="other" is not allowed because service account locked does not reference that imagePullSecret`},
	} {
		_, err := pods.Create(ctx, pod(c.name, "locked", c.change), metav1.CreateOptions{})
		if want := `pods "` + c.name + `" is forbidden: ` + c.want; !apierrors.IsForbidden(err) || err.Error() != want {
			t.Errorf("%s: %v\nwant %s", c.name, err, want)
		}
	}
	if _, err := pods.Create(ctx, pod("unenforced", "open", func(s *corev1.PodSpec) { s.Volumes[0].Secret.SecretName = "other" }), metav1.CreateOptions{}); err != nil {
		t.Errorf("an account with the annotation false: %v", err)
	}
}
