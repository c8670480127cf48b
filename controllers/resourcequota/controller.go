// Package resourcequota keeps each ResourceQuota's status current, as
// upstream's resource quota controller: status.hard mirrors spec.hard and
// status.used sums what the namespace's objects cost (apis/core/quota's
// evaluators for pods, services, claims and object counts; a direct count
// through the API for any other count/<resource>.<group>). The ResourceQuota
// admission plugin charges new objects as they come; this controller gives
// back what deleted and finished objects free, and recomputes everything
// every sync period (a recount can still meet a create the informers have
// not seen yet; the next one puts it right, as upstream).
package resourcequota

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/apis/core/quota"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// watched are the resources whose changes can change a quota's usage.
var watched = []string{"pods", "services", "persistentvolumeclaims", "configmaps", "secrets", "replicationcontrollers", "resourcequotas"}

// Controller is the resource quota controller.
type Controller struct {
	client     kubernetes.Interface
	metadata   metadata.Interface
	mapper     meta.RESTMapper
	quotas     corelisters.ResourceQuotaLister
	evaluators []quotav1.Evaluator
	synced     []cache.InformerSynced
	queue      workqueue.TypedRateLimitingInterface[string]
	resync     time.Duration
}

// New returns a controller on factory's informers that recomputes every
// quota each resync (upstream's --resource-quota-sync-period, 5m).
func New(client kubernetes.Interface, metadataClient metadata.Interface, mapper meta.RESTMapper, factory informers.SharedInformerFactory, resync time.Duration) (*Controller, error) {
	quotas := factory.Core().V1().ResourceQuotas()
	c := &Controller{
		client:   client,
		metadata: metadataClient,
		mapper:   mapper,
		quotas:   quotas.Lister(),
		queue:    runner.NewQueue("resourcequota"),
		resync:   resync,
	}
	c.evaluators = quota.Evaluators(generic.ListerFuncForResourceFunc(factory.ForResource))
	enqueueNamespace := func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if m, err := meta.Accessor(obj); err == nil {
			c.enqueueNamespace(m.GetNamespace())
		}
	}
	for _, resource := range watched {
		informer, err := factory.ForResource(corev1.SchemeGroupVersion.WithResource(resource))
		if err != nil {
			return nil, err
		}
		c.synced = append(c.synced, informer.Informer().HasSynced)
		if resource == "resourcequotas" {
			continue
		}
		// Only what can free usage triggers a recount: admission charges
		// new objects itself, and a recount racing a create (the quota
		// already charged, the object not yet in this informer) would
		// give its share back too early.
		_, _ = informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(old, obj interface{}) {
				if mayFree(old, obj) {
					enqueueNamespace(obj)
				}
			},
			DeleteFunc: enqueueNamespace,
		})
	}
	_, _ = quotas.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		UpdateFunc: func(old, obj interface{}) {
			// Status writes (ours and admission's) need no recount; a new
			// spec does.
			if !apiequality.Semantic.DeepEqual(old.(*corev1.ResourceQuota).Spec, obj.(*corev1.ResourceQuota).Spec) {
				c.enqueue(obj)
			}
		},
	})
	return c, nil
}

// mayFree reports whether an update can lower usage: a pod that finished,
// a service or claim whose spec changed.
func mayFree(old, obj interface{}) bool {
	switch o := old.(type) {
	case *corev1.Pod:
		n := obj.(*corev1.Pod)
		finished := func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		}
		return finished(n) && !finished(o)
	case *corev1.Service:
		return !apiequality.Semantic.DeepEqual(o.Spec, obj.(*corev1.Service).Spec)
	case *corev1.PersistentVolumeClaim:
		return !apiequality.Semantic.DeepEqual(o.Spec, obj.(*corev1.PersistentVolumeClaim).Spec)
	}
	return false
}

func (c *Controller) enqueue(obj interface{}) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// enqueueNamespace queues the quotas of a namespace; most namespaces have
// none, and then nothing happens.
func (c *Controller) enqueueNamespace(namespace string) {
	quotas, err := c.quotas.ResourceQuotas(namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, q := range quotas {
		c.enqueue(q)
	}
}

// Run processes quotas with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	runner.Run(ctx, "resourcequota", c.queue, c.synced, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	q, err := c.quotas.ResourceQuotas(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	used, err := c.usage(ctx, q)
	if err != nil {
		return 0, err
	}
	status := corev1.ResourceQuotaStatus{Hard: q.Spec.Hard, Used: used}
	if quotav1.Equals(q.Status.Hard, status.Hard) && quotav1.Equals(q.Status.Used, status.Used) {
		return c.resync, nil
	}
	updated := q.DeepCopy()
	updated.Status = status
	if _, err := c.client.CoreV1().ResourceQuotas(namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	return c.resync, nil
}

// usage sums what the quota's namespace uses of each resource it limits.
func (c *Controller) usage(ctx context.Context, q *corev1.ResourceQuota) (corev1.ResourceList, error) {
	names := quotav1.ResourceNames(q.Spec.Hard)
	used := corev1.ResourceList{}
	covered := map[corev1.ResourceName]bool{}
	for _, evaluator := range c.evaluators {
		matched := evaluator.MatchingResources(names)
		if len(matched) == 0 {
			continue
		}
		stats, err := evaluator.UsageStats(quotav1.UsageStatsOptions{Namespace: q.Namespace, Scopes: q.Spec.Scopes,
			ScopeSelector: q.Spec.ScopeSelector, Resources: matched})
		if err != nil {
			return nil, err
		}
		used = quotav1.Add(used, stats.Used)
		for _, name := range matched {
			covered[name] = true
		}
	}
	for _, name := range names {
		if covered[name] || !strings.HasPrefix(string(name), "count/") {
			continue
		}
		n, err := c.count(ctx, q.Namespace, strings.TrimPrefix(string(name), "count/"))
		if meta.IsNoMatchError(err) {
			continue // not a served resource: nothing can use it
		}
		if err != nil {
			return nil, err
		}
		used[name] = *resource.NewQuantity(n, resource.DecimalSI)
	}
	return quotav1.Mask(used, names), nil
}

// count counts the objects of "<resource>.<group>" in namespace, served
// from the API server's watch cache.
func (c *Controller) count(ctx context.Context, namespace, groupResource string) (int64, error) {
	gr := schema.ParseGroupResource(groupResource)
	gvr, err := c.mapper.ResourceFor(gr.WithVersion(""))
	if err != nil {
		return 0, err
	}
	list, err := c.metadata.Resource(gvr).Namespace(namespace).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return 0, err
	}
	return int64(len(list.Items)), nil
}
