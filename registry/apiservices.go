package registry

import (
	"context"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsinformers "k8s.io/apiextensions-apiserver/pkg/client/informers/externalversions/apiextensions/v1"
	apiextensionslisters "k8s.io/apiextensions-apiserver/pkg/client/listers/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/kube-aggregator/pkg/controllers/autoregister"
)

// apiPriority orders a group among groups (higher first) and a version
// within its group, in discovery and so in kubectl's choice between
// resources of the same name (core/v1 events before events.k8s.io).
type apiPriority struct{ group, version int32 }

// apiServicePriorities are the priorities of the group versions the chain
// serves itself — upstream's values, so that kubectl orders and picks as
// against kube-apiserver. A group version served without one here fails
// the start (TestEveryServedGroupHasAPriority keeps the list complete).
var apiServicePriorities = map[schema.GroupVersion]apiPriority{
	{Version: "v1"}:                                        {18000, 1},
	{Group: "apps", Version: "v1"}:                         {17800, 15},
	{Group: "events.k8s.io", Version: "v1"}:                {17750, 15},
	{Group: "authentication.k8s.io", Version: "v1"}:        {17700, 15},
	{Group: "authorization.k8s.io", Version: "v1"}:         {17600, 15},
	{Group: "autoscaling", Version: "v2"}:                  {17500, 30},
	{Group: "autoscaling", Version: "v1"}:                  {17500, 15},
	{Group: "batch", Version: "v1"}:                        {17400, 15},
	{Group: "certificates.k8s.io", Version: "v1"}:          {17300, 15},
	{Group: "networking.k8s.io", Version: "v1"}:            {17200, 15},
	{Group: "policy", Version: "v1"}:                       {17100, 15},
	{Group: "rbac.authorization.k8s.io", Version: "v1"}:    {17000, 15},
	{Group: "storage.k8s.io", Version: "v1"}:               {16800, 15},
	{Group: "apiextensions.k8s.io", Version: "v1"}:         {16700, 15},
	{Group: "admissionregistration.k8s.io", Version: "v1"}: {16700, 15},
	{Group: "scheduling.k8s.io", Version: "v1"}:            {16600, 15},
	{Group: "coordination.k8s.io", Version: "v1"}:          {16500, 15},
	{Group: "node.k8s.io", Version: "v1"}:                  {16300, 15},
	{Group: "discovery.k8s.io", Version: "v1"}:             {16200, 15},
	{Group: "resource.k8s.io", Version: "v1"}:              {16200, 21},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}: {16100, 21},
	{Group: "storagemigration.k8s.io", Version: "v1"}:      {15800, 15},
	// Served as metrics-server's APIService asks to be.
	{Group: "metrics.k8s.io", Version: "v1beta1"}: {100, 100},
}

// crdPriority is what upstream gives the group versions of CRDs: below
// every built-in group.
var crdPriority = apiPriority{1000, 100}

// crdRegistration keeps one local APIService for each group version some
// CustomResourceDefinition serves, through the autoregistration
// controller (which writes and deletes them).
type crdRegistration struct {
	crds         apiextensionslisters.CustomResourceDefinitionLister
	synced       cache.InformerSynced
	registration autoregister.AutoAPIServiceRegistration
	queue        workqueue.TypedRateLimitingInterface[schema.GroupVersion]
}

func newCRDRegistration(crds apiextensionsinformers.CustomResourceDefinitionInformer, registration autoregister.AutoAPIServiceRegistration) *crdRegistration {
	c := &crdRegistration{crds: crds.Lister(), synced: crds.Informer().HasSynced, registration: registration,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[schema.GroupVersion](),
			workqueue.TypedRateLimitingQueueConfig[schema.GroupVersion]{Name: "crd-autoregistration"})}
	enqueue := func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition); ok {
			for _, v := range crd.Spec.Versions {
				c.queue.Add(schema.GroupVersion{Group: crd.Spec.Group, Version: v.Name})
			}
		}
	}
	_, _ = crds.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue,
		// The old object too: a version no longer listed must go.
		UpdateFunc: func(old, cur interface{}) { enqueue(old); enqueue(cur) },
		DeleteFunc: enqueue,
	})
	return c
}

// syncAll registers every CRD's group versions once the informer has
// synced; false if ctx ended first.
func (c *crdRegistration) syncAll(ctx context.Context) bool {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return false
	}
	crds, err := c.crds.List(labels.Everything())
	if err != nil {
		return false
	}
	for _, crd := range crds {
		for _, v := range crd.Spec.Versions {
			c.sync(schema.GroupVersion{Group: crd.Spec.Group, Version: v.Name})
		}
	}
	return true
}

// run processes changes until ctx ends.
func (c *crdRegistration) run(ctx context.Context) {
	defer c.queue.ShutDown()
	go wait.UntilWithContext(ctx, func(context.Context) {
		for {
			gv, quit := c.queue.Get()
			if quit {
				return
			}
			c.sync(gv)
			c.queue.Done(gv)
		}
	}, time.Second)
	<-ctx.Done()
}

// sync keeps gv's APIService while some CRD serves it.
func (c *crdRegistration) sync(gv schema.GroupVersion) {
	name := gv.Version + "." + gv.Group
	crds, err := c.crds.List(labels.Everything())
	if err != nil {
		klog.ErrorS(err, "listing CRDs for their APIServices")
		return
	}
	for _, crd := range crds {
		if crd.Spec.Group != gv.Group {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Name == gv.Version && v.Served {
				c.registration.AddAPIServiceToSync(&apiregistrationv1.APIService{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec: apiregistrationv1.APIServiceSpec{Group: gv.Group, Version: gv.Version,
						GroupPriorityMinimum: crdPriority.group, VersionPriority: crdPriority.version},
				})
				return
			}
		}
	}
	c.registration.RemoveAPIServiceToSync(name)
}
