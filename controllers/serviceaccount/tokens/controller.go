// Package tokens fills the kubernetes.io/service-account-token Secrets a
// user makes for a service account with a long-lived token, the cluster's
// CA bundle and the namespace, and deletes those whose account is gone, as
// upstream's token controller does. (Since Kubernetes 1.24 no such Secret
// is made unasked: pods get bound tokens through TokenRequest.)
package tokens

import (
	"bytes"
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/controllers/lib/runner"
	"github.com/kybernetes/kybernetes/registry/serviceaccount/token"
)

// Controller keeps the token Secrets.
type Controller struct {
	client          kubernetes.Interface
	issuer          *token.Issuer
	rootCA          []byte
	serviceAccounts corelisters.ServiceAccountLister
	secrets         corelisters.SecretLister
	synced          []cache.InformerSynced
	// queue holds namespace/name keys of token Secrets.
	queue workqueue.TypedRateLimitingInterface[string]
}

// New returns a controller signing with issuer and publishing rootCA as
// each Secret's ca.crt.
func New(client kubernetes.Interface, issuer *token.Issuer, rootCA []byte, serviceAccounts coreinformers.ServiceAccountInformer, secrets coreinformers.SecretInformer) *Controller {
	c := &Controller{
		client:          client,
		issuer:          issuer,
		rootCA:          rootCA,
		serviceAccounts: serviceAccounts.Lister(),
		secrets:         secrets.Lister(),
		synced:          []cache.InformerSynced{serviceAccounts.Informer().HasSynced, secrets.Informer().HasSynced},
		queue:           runner.NewQueue("serviceaccount-tokens"),
	}
	_, _ = secrets.Informer().AddEventHandler(cache.FilteringResourceEventHandler{
		FilterFunc: func(obj interface{}) bool {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			s, ok := obj.(*corev1.Secret)
			return ok && s.Type == corev1.SecretTypeServiceAccountToken
		},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueueSecret,
			UpdateFunc: func(_, obj interface{}) { c.enqueueSecret(obj) },
		},
	})
	// An account's change or deletion concerns every token Secret naming it.
	accountChanged := func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		sa, ok := obj.(*corev1.ServiceAccount)
		if !ok {
			return
		}
		list, err := c.secrets.Secrets(sa.Namespace).List(labels.Everything())
		if err != nil {
			return
		}
		for _, s := range list {
			if s.Type == corev1.SecretTypeServiceAccountToken && s.Annotations[corev1.ServiceAccountNameKey] == sa.Name {
				c.enqueueSecret(s)
			}
		}
	}
	_, _ = serviceAccounts.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    accountChanged,
		UpdateFunc: func(_, obj interface{}) { accountChanged(obj) },
		DeleteFunc: accountChanged,
	})
	return c
}

func (c *Controller) enqueueSecret(obj interface{}) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// Run processes token Secrets until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	runner.Run(ctx, "serviceaccount-tokens", c.queue, c.synced, workers, runner.Always(c.sync))
}

// sync deletes a token Secret whose account is gone (or was replaced: a
// new UID) and fills one that lacks its token, CA bundle or namespace.
func (c *Controller) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	secret, err := c.secrets.Secrets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if secret.Type != corev1.SecretTypeServiceAccountToken || secret.DeletionTimestamp != nil {
		return nil
	}
	sa, err := c.account(ctx, secret)
	if err != nil {
		return err
	}
	if sa == nil {
		return c.delete(ctx, secret)
	}
	if !c.needsToken(secret, sa) {
		return nil
	}
	signed, err := c.issuer.IssueLegacy(sa, secret.Name)
	if err != nil {
		return fmt.Errorf("signing the token of %s: %w", key, err)
	}
	filled := secret.DeepCopy()
	if filled.Data == nil {
		filled.Data = map[string][]byte{}
	}
	if len(filled.Data[corev1.ServiceAccountTokenKey]) == 0 {
		filled.Data[corev1.ServiceAccountTokenKey] = []byte(signed)
	}
	filled.Data[corev1.ServiceAccountRootCAKey] = c.rootCA
	filled.Data[corev1.ServiceAccountNamespaceKey] = []byte(namespace)
	filled.Annotations[corev1.ServiceAccountUIDKey] = string(sa.UID)
	_, err = c.client.CoreV1().Secrets(namespace).Update(ctx, filled, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// account is the service account a Secret names, read from the API when
// the cache has none (a just-created account), nil when it is gone.
func (c *Controller) account(ctx context.Context, secret *corev1.Secret) (*corev1.ServiceAccount, error) {
	name, uid := secret.Annotations[corev1.ServiceAccountNameKey], types.UID(secret.Annotations[corev1.ServiceAccountUIDKey])
	matches := func(sa *corev1.ServiceAccount) bool { return uid == "" || sa.UID == uid }
	sa, err := c.serviceAccounts.ServiceAccounts(secret.Namespace).Get(name)
	if err == nil && matches(sa) {
		return sa, nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	sa, err = c.client.CoreV1().ServiceAccounts(secret.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !matches(sa) {
		return nil, nil
	}
	return sa, nil
}

// needsToken says whether the Secret lacks any of its three keys or the
// account's UID, or holds another CA bundle.
func (c *Controller) needsToken(secret *corev1.Secret, sa *corev1.ServiceAccount) bool {
	return len(secret.Data[corev1.ServiceAccountTokenKey]) == 0 ||
		!bytes.Equal(secret.Data[corev1.ServiceAccountRootCAKey], c.rootCA) ||
		string(secret.Data[corev1.ServiceAccountNamespaceKey]) != secret.Namespace ||
		secret.Annotations[corev1.ServiceAccountUIDKey] != string(sa.UID)
}

// delete removes a token Secret of a gone account, if it is still the one
// the cache showed.
func (c *Controller) delete(ctx context.Context, secret *corev1.Secret) error {
	err := c.client.CoreV1().Secrets(secret.Namespace).Delete(ctx, secret.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &secret.UID}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
