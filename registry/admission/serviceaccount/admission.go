// Package serviceaccount is upstream's ServiceAccount admission: a new pod
// runs as its namespace's "default" service account unless it names
// another, which must exist; it gets the service account's image pull
// secrets when it has none; and, unless the pod or its service account
// opts out (automountServiceAccountToken: false), every container mounts
// a projected kube-api-access-<suffix> volume at
// /var/run/secrets/kubernetes.io/serviceaccount — a bound token the
// kubelet asks for and refreshes, the cluster CA (the kube-root-ca.crt
// ConfigMap) and the namespace — which is what client-go's in-cluster
// configuration reads. An account annotated
// kubernetes.io/enforce-mountable-secrets limits its pods to the Secrets
// it lists. Mirror pods of static pods are left alone, and may not refer
// to service accounts, secrets or tokens.
package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	genericadmissioninit "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/core/podrefs"
)

const (
	// PluginName is the upstream name of the plugin.
	PluginName = "ServiceAccount"
	// DefaultServiceAccount is the account a pod naming none runs as.
	DefaultServiceAccount = "default"
	// VolumePrefix starts the name of the token volume.
	VolumePrefix = "kube-api-access-"
	// MountPath is where every container finds its credentials.
	MountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	// TokenExpirationSeconds is what the volume asks tokens to last:
	// upstream's marker value, which the server extends (see
	// --service-account-extend-token-expiration).
	TokenExpirationSeconds = 3607
)

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin defaults, checks and mounts pods' service accounts.
type Plugin struct {
	*admission.Handler
	accounts corev1listers.ServiceAccountLister
	client   kubernetes.Interface
}

var (
	_ admission.MutationInterface                           = &Plugin{}
	_ admission.ValidationInterface                         = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeInformerFactory = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeClientSet       = &Plugin{}
)

// New returns the plugin; it acts on pod creates only.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create)}
}

// SetExternalKubeInformerFactory takes the service account lister.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	accounts := f.Core().V1().ServiceAccounts()
	p.accounts = accounts.Lister()
	p.SetReadyFunc(accounts.Informer().HasSynced)
}

// SetExternalKubeClientSet takes the client an account not yet in the
// lister's cache is read with.
func (p *Plugin) SetExternalKubeClientSet(client kubernetes.Interface) { p.client = client }

// ValidateInitialization says whether the lister and client were given.
func (p *Plugin) ValidateInitialization() error {
	if p.accounts == nil || p.client == nil {
		return errors.New("ServiceAccount has no service account lister or client")
	}
	return nil
}

// newPod is the pod a create request makes, or nil when the request is
// not one this plugin looks at.
func newPod(a admission.Attributes) *corev1.Pod {
	if a.GetResource().GroupResource() != corev1.Resource("pods") || a.GetSubresource() != "" {
		return nil
	}
	pod, _ := a.GetObject().(*corev1.Pod)
	return pod
}

func isMirror(pod *corev1.Pod) bool {
	_, ok := pod.Annotations[corev1.MirrorPodAnnotationKey]
	return ok
}

// Admit gives a new pod its service account, pull secrets and token
// volume.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	pod := newPod(a)
	if pod == nil || isMirror(pod) {
		// A mirror pod's spec must stay the static pod's: the kubelet
		// deletes a mirror pod that differs. Validate refuses the ones
		// that would need credentials.
		return p.Validate(ctx, a, o)
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultServiceAccount
		// The deprecated alias follows, as pod defaulting keeps them equal.
		pod.Spec.DeprecatedServiceAccount = DefaultServiceAccount //nolint:staticcheck // kept in sync for old clients
	}
	account, err := p.account(ctx, a.GetNamespace(), pod.Spec.ServiceAccountName)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), pod.Spec.ServiceAccountName, err))
	}
	if automount(account, pod) {
		mountToken(pod)
	}
	if len(pod.Spec.ImagePullSecrets) == 0 {
		for _, s := range account.ImagePullSecrets {
			pod.Spec.ImagePullSecrets = append(pod.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s.Name})
		}
	}
	return p.Validate(ctx, a, o)
}

// Validate refuses a mirror pod that refers to credentials, and any
// other new pod whose service account does not exist.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	pod := newPod(a)
	if pod == nil {
		return nil
	}
	if isMirror(pod) {
		return validateMirror(a, pod)
	}
	if pod.Spec.ServiceAccountName == "" {
		return admission.NewForbidden(a, fmt.Errorf("no service account specified for pod %s/%s", a.GetNamespace(), pod.Name))
	}
	account, err := p.account(ctx, a.GetNamespace(), pod.Spec.ServiceAccountName)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), pod.Spec.ServiceAccountName, err))
	}
	if enforcesMountableSecrets(account) {
		if err := onlyMountableSecrets(account, pod); err != nil {
			return admission.NewForbidden(a, err)
		}
	}
	return nil
}

// EnforceMountableSecretsAnnotation, "true" on a service account, limits
// its pods to the Secrets the account lists (and its image pull secrets).
const EnforceMountableSecretsAnnotation = "kubernetes.io/enforce-mountable-secrets"

func enforcesMountableSecrets(account *corev1.ServiceAccount) bool {
	enforce, err := strconv.ParseBool(account.Annotations[EnforceMountableSecretsAnnotation])
	return err == nil && enforce
}

// onlyMountableSecrets refuses, with upstream's messages, the first
// reference the pod makes to a Secret its account does not list: a secret
// volume, a container's secretKeyRef or secret envFrom, an image pull
// secret the account does not have.
func onlyMountableSecrets(account *corev1.ServiceAccount, pod *corev1.Pod) error {
	listed := func(refs []corev1.ObjectReference, name string) bool {
		return slices.ContainsFunc(refs, func(r corev1.ObjectReference) bool { return r.Name == name })
	}
	notListed := func(what, secret string) error {
		return fmt.Errorf("%s referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", what, secret, account.Name)
	}
	for _, v := range pod.Spec.Volumes {
		if v.Secret != nil && !listed(account.Secrets, v.Secret.SecretName) {
			return fmt.Errorf("volume with secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", v.Secret.SecretName, account.Name)
		}
	}
	check := func(kind string, containers []corev1.Container) error {
		for _, c := range containers {
			for _, env := range c.Env {
				if ref := env.ValueFrom; ref != nil && ref.SecretKeyRef != nil && !listed(account.Secrets, ref.SecretKeyRef.Name) {
					return notListed(fmt.Sprintf("%s %s with envVar %s", kind, c.Name, env.Name), ref.SecretKeyRef.Name)
				}
			}
			for _, from := range c.EnvFrom {
				if from.SecretRef != nil && !listed(account.Secrets, from.SecretRef.Name) {
					return notListed(fmt.Sprintf("%s %s with envFrom", kind, c.Name), from.SecretRef.Name)
				}
			}
		}
		return nil
	}
	if err := check("init container", pod.Spec.InitContainers); err != nil {
		return err
	}
	if err := check("container", pod.Spec.Containers); err != nil {
		return err
	}
	for i, ref := range pod.Spec.ImagePullSecrets {
		if !slices.ContainsFunc(account.ImagePullSecrets, func(r corev1.LocalObjectReference) bool { return r.Name == ref.Name }) {
			return fmt.Errorf("imagePullSecrets[%d].name=\"%s\" is not allowed because service account %s does not reference that imagePullSecret", i, ref.Name, account.Name)
		}
	}
	return nil
}

func validateMirror(a admission.Attributes, pod *corev1.Pod) error {
	if pod.Spec.ServiceAccountName != "" {
		return admission.NewForbidden(a, errors.New("a mirror pod may not reference service accounts"))
	}
	if len(podrefs.SecretNames(pod)) > 0 {
		return admission.NewForbidden(a, errors.New("a mirror pod may not reference secrets"))
	}
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, source := range v.Projected.Sources {
			if source.ServiceAccountToken != nil {
				return admission.NewForbidden(a, errors.New("a mirror pod may not use ServiceAccountToken volume projections"))
			}
		}
	}
	return nil
}

// account reads a service account from the cache, then from the API: a
// namespace's default account is made by the controller manager just
// after the namespace, so a pod created at once waits for it a little.
func (p *Plugin) account(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	account, err := p.accounts.ServiceAccounts(namespace).Get(name)
	if err == nil || !apierrors.IsNotFound(err) {
		return account, err
	}
	attempts := 1
	if name == DefaultServiceAccount {
		attempts = 10
	}
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(150 * time.Millisecond):
			}
		}
		account, err = p.client.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil || !apierrors.IsNotFound(err) {
			return account, err
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("serviceaccount"), name)
}

// automount: the pod's choice, else its account's, else yes.
func automount(account *corev1.ServiceAccount, pod *corev1.Pod) bool {
	if pod.Spec.AutomountServiceAccountToken != nil {
		return *pod.Spec.AutomountServiceAccountToken
	}
	if account.AutomountServiceAccountToken != nil {
		return *account.AutomountServiceAccountToken
	}
	return true
}

// mountToken mounts the token volume into every init and app container
// that does not mount something else at MountPath; the volume is added
// (or an existing kube-api-access-* one reused) only if one does.
func mountToken(pod *corev1.Pod) {
	volume := ""
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, VolumePrefix) {
			volume = v.Name
			break
		}
	}
	existing := volume != ""
	if !existing {
		volume = names.SimpleNameGenerator.GenerateName(VolumePrefix)
	}
	mount := corev1.VolumeMount{Name: volume, ReadOnly: true, MountPath: MountPath}
	mounted := false
	for _, containers := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range containers {
			if mountsPath(&containers[i], MountPath) {
				continue
			}
			containers[i].VolumeMounts = append(containers[i].VolumeMounts, mount)
			mounted = true
		}
	}
	if mounted && !existing {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: volume,
			VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}})
	}
}

func mountsPath(c *corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

// TokenVolumeSource is the projection every container's credentials come
// from: token, ca.crt and namespace, world-readable as upstream (0644, set
// explicitly so that the stored pod does not change when defaulted again).
func TokenVolumeSource() *corev1.ProjectedVolumeSource {
	return &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To[int32](corev1.ProjectedVolumeSourceDefaultMode),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](TokenExpirationSeconds)}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}
}
