// Package namespace empties namespaces that are being deleted: it deletes
// every namespaced resource in them (found through discovery), then removes
// the "kubernetes" finalizer so that the API server lets the namespace go.
package namespace

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Controller is the namespace deletion controller.
type Controller struct {
	client    kubernetes.Interface
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterface
	lister    corelisters.NamespaceLister
	synced    cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]
}

// errContentRemaining asks for a retry: deletes were issued but objects
// (with finalizers of their own, say) are still there.
type errContentRemaining struct{ remaining []string }

func (e *errContentRemaining) Error() string {
	return "some content remains in the namespace: " + strings.Join(e.remaining, ", ")
}

// New returns a controller fed by the namespace informer.
func New(client kubernetes.Interface, dyn dynamic.Interface, namespaces coreinformers.NamespaceInformer) *Controller {
	c := &Controller{
		client:    client,
		dynamic:   dyn,
		discovery: client.Discovery(),
		lister:    namespaces.Lister(),
		synced:    namespaces.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](100*time.Millisecond, 30*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "namespace"}),
	}
	enqueue := func(obj interface{}) {
		if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
			c.queue.Add(ns.Name)
		}
	}
	_, _ = namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
	})
	return c
}

// Run processes namespaces with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	runner.Run(ctx, "namespace", c.queue, []cache.InformerSynced{c.synced}, workers, runner.Always(c.sync))
}

// sync empties one terminating namespace and finalizes it.
func (c *Controller) sync(ctx context.Context, name string) error {
	ns, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns.DeletionTimestamp == nil {
		return nil
	}
	if slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		if err := c.deleteContent(ctx, name); err != nil {
			c.setCondition(ctx, name, corev1.NamespaceContentRemaining, err)
			return err
		}
		if err := c.finalize(ctx, name); err != nil {
			return err
		}
	}
	// With spec.finalizers empty, this delete removes the namespace.
	err = c.client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &ns.UID}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		// Gone already, or finalizers of other owners remain: their owners finish the job.
		return nil
	}
	return err
}

// deleteContent deletes every object of every namespaced resource in the
// namespace and reports what is still there.
func (c *Controller) deleteContent(ctx context.Context, namespace string) error {
	resources, err := c.deletableResources()
	if err != nil {
		return err
	}
	var remaining []string
	for _, gvr := range resources {
		client := c.dynamic.Resource(gvr).Namespace(namespace)
		err := client.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
			return fmt.Errorf("deleting %s: %w", gvr.Resource, err)
		}
		list, err := client.List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("listing %s: %w", gvr.Resource, err)
		}
		if err == nil && len(list.Items) > 0 {
			remaining = append(remaining, gvr.GroupResource().String())
		}
	}
	if len(remaining) > 0 {
		// Expected while the deletes take effect: retried quietly.
		return runner.Quiet(&errContentRemaining{remaining: remaining})
	}
	return nil
}

// deletableResources lists the namespaced resources that support both
// deletecollection and list, in their preferred versions.
func (c *Controller) deletableResources() ([]schema.GroupVersionResource, error) {
	lists, err := c.discovery.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("discovering namespaced resources: %w", err)
	}
	var out []schema.GroupVersionResource
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "deletecollection") || !slices.Contains(r.Verbs, "list") {
				continue
			}
			out = append(out, gv.WithResource(r.Name))
		}
	}
	return out, nil
}

// finalize removes the "kubernetes" finalizer through namespaces/finalize.
func (c *Controller) finalize(ctx context.Context, name string) error {
	ns, err := c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	ns.Spec.Finalizers = slices.DeleteFunc(ns.Spec.Finalizers, func(f corev1.FinalizerName) bool {
		return f == corev1.FinalizerKubernetes
	})
	_, err = c.client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
	return err
}

// setCondition records on the namespace's status why deletion waits, as
// upstream's NamespaceContentRemaining condition does.
func (c *Controller) setCondition(ctx context.Context, name string, kind corev1.NamespaceConditionType, cause error) {
	ns, err := c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	condition := corev1.NamespaceCondition{
		Type: kind, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now(),
		Reason: "SomeResourcesRemain", Message: cause.Error(),
	}
	for i, existing := range ns.Status.Conditions {
		if existing.Type == kind {
			if existing.Message == condition.Message {
				return
			}
			ns.Status.Conditions[i] = condition
			condition.Type = ""
		}
	}
	if condition.Type != "" {
		ns.Status.Conditions = append(ns.Status.Conditions, condition)
	}
	_, _ = c.client.CoreV1().Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{})
}
