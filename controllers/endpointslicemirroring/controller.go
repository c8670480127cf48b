// Package endpointslicemirroring mirrors the Endpoints that users write for
// Services without a selector — the classic way to point a Service at
// backends outside the cluster — into EndpointSlices, as upstream's
// mirroring controller does, since node proxies read only slices.
package endpointslicemirroring

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/endpointslices"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

const (
	// ManagedBy marks mirrored slices, upstream's value.
	ManagedBy = "endpointslicemirroring-controller.k8s.io"
	// SkipMirrorLabel on an Endpoints keeps it from being mirrored (the
	// API server's own kubernetes Endpoints carries it).
	SkipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror"
	// MaxEndpointsPerSubset is upstream's
	// --mirroring-max-endpoints-per-subset: addresses past it in one subset
	// are not mirrored.
	MaxEndpointsPerSubset = 1000
)

// Controller is the EndpointSlice mirroring controller.
type Controller struct {
	client    kubernetes.Interface
	services  corelisters.ServiceLister
	endpoints corelisters.EndpointsLister
	slices    discoverylisters.EndpointSliceLister
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]
}

// New returns a controller fed by the Service, Endpoints and slice informers.
func New(client kubernetes.Interface, services coreinformers.ServiceInformer, endpoints coreinformers.EndpointsInformer, slices discoveryinformers.EndpointSliceInformer) *Controller {
	c := &Controller{
		client:    client,
		services:  services.Lister(),
		endpoints: endpoints.Lister(),
		slices:    slices.Lister(),
		synced:    []cache.InformerSynced{services.Informer().HasSynced, endpoints.Informer().HasSynced, slices.Informer().HasSynced},
		queue:     runner.NewQueue("endpointslicemirroring"),
	}
	enqueue := func(obj interface{}) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	handler := cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, obj interface{}) { enqueue(obj) }, DeleteFunc: enqueue}
	_, _ = services.Informer().AddEventHandler(handler)
	_, _ = endpoints.Informer().AddEventHandler(handler)
	enqueueService := func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if s, ok := obj.(*discoveryv1.EndpointSlice); ok && s.Labels[discoveryv1.LabelManagedBy] == ManagedBy {
			if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" {
				c.queue.Add(s.Namespace + "/" + svc)
			}
		}
	}
	_, _ = slices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueService, UpdateFunc: func(_, obj interface{}) { enqueueService(obj) }, DeleteFunc: enqueueService,
	})
	return c
}

// Run mirrors until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	runner.Run(ctx, "endpointslicemirroring", c.queue, c.synced, workers, runner.Always(c.sync))
}

func (c *Controller) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	client := c.client.DiscoveryV1().EndpointSlices(namespace)
	selector := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: ManagedBy})

	endpoints, err := c.endpoints.Endpoints(namespace).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	svc, svcErr := c.services.Services(namespace).Get(name)
	if svcErr != nil && !apierrors.IsNotFound(svcErr) {
		return svcErr
	}
	mirror := err == nil && svcErr == nil && len(svc.Spec.Selector) == 0 && endpoints.Labels[SkipMirrorLabel] != "true"
	if !mirror {
		// Nothing to mirror (any more): the mirrored slices go. The cache
		// is enough to find them (a delete is guarded by the UID), and
		// spares a list per Service for the many that never had any.
		existing, err := c.slices.EndpointSlices(namespace).List(selector)
		if err != nil {
			return err
		}
		for _, s := range existing {
			if err := client.Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &s.UID}}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
		return nil
	}

	// Read from the API, not the cache: a slice made by the last sync must
	// be seen, or it would be made again.
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return err
	}
	existing := make([]*discoveryv1.EndpointSlice, 0, len(list.Items))
	for i := range list.Items {
		existing = append(existing, &list.Items[i])
	}
	plan := endpointslices.Reconcile(meta(endpoints), existing, groups(endpoints), MaxEndpointsPerSubset, discoveryv1.AddressTypeIPv4)
	for _, s := range plan.Delete {
		if err := client.Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &s.UID}}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	for _, s := range plan.Update {
		if _, err := client.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	for _, s := range plan.Create {
		if _, err := client.Create(ctx, s, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// meta is the mirrored slices' metadata: the Endpoints' labels (bar the
// ones that steer mirroring and the apply bookkeeping), owned by the
// Endpoints.
func meta(ep *corev1.Endpoints) endpointslices.Meta {
	l := map[string]string{}
	for k, v := range ep.Labels {
		if k != SkipMirrorLabel && k != discoveryv1.LabelManagedBy && k != discoveryv1.LabelServiceName {
			l[k] = v
		}
	}
	l[discoveryv1.LabelServiceName] = ep.Name
	l[discoveryv1.LabelManagedBy] = ManagedBy
	m := endpointslices.Meta{
		GenerateName: ep.Name + "-",
		Labels:       l,
		Owner: metav1.OwnerReference{APIVersion: "v1", Kind: "Endpoints", Name: ep.Name, UID: ep.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)},
	}
	if t, ok := ep.Annotations[corev1.EndpointsLastChangeTriggerTime]; ok {
		m.TriggerTime = t
	}
	return m
}

// groups mirrors each subset: its ports, its ready and not-ready
// addresses, split by address family; invalid addresses are left out.
func groups(ep *corev1.Endpoints) []endpointslices.Group {
	var out []endpointslices.Group
	index := map[string]int{}
	for _, subset := range ep.Subsets {
		ports := make([]discoveryv1.EndpointPort, 0, len(subset.Ports))
		for _, p := range subset.Ports {
			ports = append(ports, discoveryv1.EndpointPort{Name: ptr.To(p.Name), Port: ptr.To(p.Port), Protocol: ptr.To(p.Protocol), AppProtocol: p.AppProtocol})
		}
		endpointslices.SortPorts(ports)
		add := func(a corev1.EndpointAddress, ready bool) {
			ip := net.ParseIP(a.IP)
			if ip == nil {
				return
			}
			family := discoveryv1.AddressTypeIPv4
			if ip.To4() == nil {
				family = discoveryv1.AddressTypeIPv6
			}
			k := string(family) + portsKey(ports)
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, endpointslices.Group{AddressType: family, Ports: ports})
			}
			e := discoveryv1.Endpoint{Addresses: []string{a.IP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)}, TargetRef: a.TargetRef, NodeName: a.NodeName}
			if a.Hostname != "" {
				e.Hostname = ptr.To(a.Hostname)
			}
			out[i].Endpoints = append(out[i].Endpoints, e)
		}
		n := 0
		for _, a := range subset.Addresses {
			if n < MaxEndpointsPerSubset {
				add(a, true)
				n++
			}
		}
		for _, a := range subset.NotReadyAddresses {
			if n < MaxEndpointsPerSubset {
				add(a, false)
				n++
			}
		}
	}
	for i := range out {
		eps := out[i].Endpoints
		sort.SliceStable(eps, func(a, b int) bool { return eps[a].Addresses[0] < eps[b].Addresses[0] })
		// One address in two subsets with the same ports is one endpoint.
		var dedup []discoveryv1.Endpoint
		for _, e := range eps {
			if len(dedup) == 0 || e.Addresses[0] != dedup[len(dedup)-1].Addresses[0] {
				dedup = append(dedup, e)
			}
		}
		out[i].Endpoints = dedup
	}
	return out
}

func portsKey(ports []discoveryv1.EndpointPort) string {
	var parts []string
	for _, p := range ports {
		parts = append(parts, fmt.Sprintf("%s/%s/%d", *p.Name, *p.Protocol, *p.Port))
	}
	return strings.Join(parts, ",")
}
