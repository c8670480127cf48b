// Package endpoints keeps each selector-based Service's Endpoints and
// EndpointSlices in line with the pods it selects: their IPs, the ports its
// target ports resolve to, and their readiness, as upstream's endpoints and
// endpointslice controllers do. Services without a selector are left to
// their users (and to the mirroring controller).
package endpoints

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// ManagedBy marks the EndpointSlices this controller owns, upstream's value.
const ManagedBy = "endpointslice-controller.k8s.io"

// Controller is the endpoints and endpoint slice controller.
type Controller struct {
	client   kubernetes.Interface
	services corelisters.ServiceLister
	pods     corelisters.PodLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	// MaxEndpointsPerSlice is upstream's --max-endpoints-per-slice.
	MaxEndpointsPerSlice int
}

// DefaultMaxEndpointsPerSlice is upstream's default.
const DefaultMaxEndpointsPerSlice = 100

// New returns a controller fed by the service, pod and slice informers;
// a change to one of its slices by anyone else is put right.
func New(client kubernetes.Interface, services coreinformers.ServiceInformer, pods coreinformers.PodInformer, slices discoveryinformers.EndpointSliceInformer) *Controller {
	c := &Controller{
		client:               client,
		services:             services.Lister(),
		pods:                 pods.Lister(),
		synced:               []cache.InformerSynced{services.Informer().HasSynced, pods.Informer().HasSynced, slices.Informer().HasSynced},
		queue:                runner.NewQueue("endpoints"),
		MaxEndpointsPerSlice: DefaultMaxEndpointsPerSlice,
	}
	enqueue := func(obj interface{}) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	_, _ = services.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj interface{}) { enqueue(obj) }, DeleteFunc: enqueue,
	})
	enqueueOwner := func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if slice, ok := obj.(*discoveryv1.EndpointSlice); ok && slice.Labels[discoveryv1.LabelManagedBy] == ManagedBy {
			if svc := slice.Labels[discoveryv1.LabelServiceName]; svc != "" {
				c.queue.Add(slice.Namespace + "/" + svc)
			}
		}
	}
	_, _ = slices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueOwner, UpdateFunc: func(_, obj interface{}) { enqueueOwner(obj) }, DeleteFunc: enqueueOwner,
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueServicesOf,
		UpdateFunc: func(old, obj interface{}) { c.enqueueServicesOf(old); c.enqueueServicesOf(obj) },
		DeleteFunc: c.enqueueServicesOf,
	})
	return c
}

// enqueueServicesOf queues every service whose selector matches the pod.
func (c *Controller) enqueueServicesOf(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	services, err := c.services.Services(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, svc := range services {
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			c.queue.Add(pod.Namespace + "/" + svc.Name)
		}
	}
}

// Run processes services until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	runner.Run(ctx, "endpoints", c.queue, c.synced, workers, runner.Always(c.sync))
}

func (c *Controller) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	svc, err := c.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		// The service is gone: so are its endpoints (its slices go with it
		// through their owner reference).
		err := c.client.CoreV1().Endpoints(namespace).Delete(ctx, name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	pods, err := c.pods.Pods(namespace).List(labels.SelectorFromSet(svc.Spec.Selector))
	if err != nil {
		return err
	}
	backends := Backends(svc, pods)
	// Endpoints never list terminating pods unless the service publishes
	// not-ready addresses; slices list them, marked terminating.
	var forEndpoints []Backend
	for _, b := range backends {
		if !b.Terminating || svc.Spec.PublishNotReadyAddresses {
			forEndpoints = append(forEndpoints, b)
		}
	}
	if err := c.syncEndpoints(ctx, svc, forEndpoints); err != nil {
		return err
	}
	return c.syncSlices(ctx, svc, backends)
}

// syncEndpoints writes the v1 Endpoints: one subset per set of ports,
// ready and not-ready addresses sorted by IP.
func (c *Controller) syncEndpoints(ctx context.Context, svc *corev1.Service, backends []Backend) error {
	type group struct {
		ports           []corev1.EndpointPort
		ready, notReady map[string]corev1.EndpointAddress
	}
	byPod := map[string][]Backend{}
	for _, b := range backends {
		byPod[b.IP] = append(byPod[b.IP], b)
	}
	groups := map[string]*group{}
	for ip, bs := range byPod {
		var ports []corev1.EndpointPort
		for _, b := range bs {
			ports = append(ports, corev1.EndpointPort{Name: b.ServicePort.Name, Port: b.Port, Protocol: b.ServicePort.Protocol})
		}
		sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
		signature := fmt.Sprint(ports)
		g := groups[signature]
		if g == nil {
			g = &group{ports: ports, ready: map[string]corev1.EndpointAddress{}, notReady: map[string]corev1.EndpointAddress{}}
			groups[signature] = g
		}
		pod := bs[0].Pod
		addr := corev1.EndpointAddress{IP: ip, NodeName: ptr.To(pod.Spec.NodeName), TargetRef: &corev1.ObjectReference{
			Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}}
		if pod.Spec.NodeName == "" {
			addr.NodeName = nil
		}
		if bs[0].Ready {
			g.ready[ip] = addr
		} else {
			g.notReady[ip] = addr
		}
	}
	var subsets []corev1.EndpointSubset
	signatures := make([]string, 0, len(groups))
	for s := range groups {
		signatures = append(signatures, s)
	}
	sort.Strings(signatures)
	for _, s := range signatures {
		g := groups[s]
		subsets = append(subsets, corev1.EndpointSubset{Addresses: sorted(g.ready), NotReadyAddresses: sorted(g.notReady), Ports: g.ports})
	}
	want := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: svc.Labels}, Subsets: subsets}
	current, err := c.client.CoreV1().Endpoints(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = c.client.CoreV1().Endpoints(svc.Namespace).Create(ctx, want, metav1.CreateOptions{})
		return err
	case err != nil:
		return err
	case apiequality.Semantic.DeepEqual(current.Subsets, want.Subsets) && apiequality.Semantic.DeepEqual(current.Labels, want.Labels):
		return nil
	}
	current.Subsets, current.Labels = want.Subsets, want.Labels
	_, err = c.client.CoreV1().Endpoints(svc.Namespace).Update(ctx, current, metav1.UpdateOptions{})
	return err
}

func sorted(addrs map[string]corev1.EndpointAddress) []corev1.EndpointAddress {
	if len(addrs) == 0 {
		return nil
	}
	out := make([]corev1.EndpointAddress, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP < out[j].IP })
	return out
}
