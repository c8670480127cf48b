// Package garbagecollector deletes objects whose owners are gone, across
// every served resource, and carries out the three propagation policies of
// a delete as upstream's garbage collector does:
//
//   - background: once an owner is gone, each dependent whose owners are
//     all gone is deleted;
//   - foreground: an owner with the foregroundDeletion finalizer has its
//     dependents deleted first; the finalizer goes once no dependent that
//     blocks owner deletion is left;
//   - orphan: an owner with the orphan finalizer has itself removed from its
//     dependents' ownerReferences, then the finalizer goes.
//
// It watches metadata only (client-go metadata informers over the
// resources discovery lists), keeps an ownership graph, and before deleting
// anything confirms with a live read that the owner is really gone.
package garbagecollector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Work items: check whether a dependent has lost its owners, or carry out
// an owner's orphan or foreground deletion.
const (
	checkDependent = "dependent/"
	processOwner   = "owner/"
)

// ignoredResources are not collected, as upstream (events carry no owners
// that matter and are many).
var ignoredResources = map[schema.GroupResource]bool{
	{Group: "", Resource: "events"}:              true,
	{Group: "events.k8s.io", Resource: "events"}: true,
}

// Collector is the garbage collector.
type Collector struct {
	client  metadata.Interface
	mapper  meta.RESTMapper
	graph   *graph
	queue   workqueue.TypedRateLimitingInterface[string]
	factory metadatainformer.SharedInformerFactory
	synced  []cache.InformerSynced
}

// New discovers the deletable resources and prepares an informer for each.
func New(client metadata.Interface, disco discovery.DiscoveryInterface) (*Collector, error) {
	groups, err := restmapper.GetAPIGroupResources(disco)
	if err != nil {
		return nil, err
	}
	lists, err := disco.ServerPreferredResources()
	if err != nil && len(lists) == 0 {
		return nil, err
	}
	c := &Collector{
		client:  client,
		mapper:  restmapper.NewDiscoveryRESTMapper(groups),
		graph:   newGraph(),
		factory: metadatainformer.NewSharedInformerFactory(client, 0),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "garbagecollector"}),
	}
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") || ignoredResources[gv.WithResource(r.Name).GroupResource()] ||
				!slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "watch") || !slices.Contains(r.Verbs, "delete") {
				continue
			}
			c.watch(gv.WithResource(r.Name))
		}
	}
	return c, nil
}

func (c *Collector) watch(gvr schema.GroupVersionResource) {
	informer := c.factory.ForResource(gvr).Informer()
	_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { c.observe(gvr, obj) },
		UpdateFunc: func(_, obj interface{}) { c.observe(gvr, obj) },
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if m, err := meta.Accessor(obj); err == nil {
				c.forget(m)
			}
		},
	})
	c.synced = append(c.synced, informer.HasSynced)
}

// observe updates the graph with an added or changed object and queues
// the work it calls for.
func (c *Collector) observe(gvr schema.GroupVersionResource, obj interface{}) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	node := &object{resource: gvr, namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUID(),
		owners: m.GetOwnerReferences(), finalizers: m.GetFinalizers(), deleting: m.GetDeletionTimestamp() != nil}
	old := c.graph.upsert(node)
	if len(node.owners) > 0 && (old == nil || !slices.EqualFunc(old.owners, node.owners, sameOwner)) {
		c.queue.Add(checkDependent + string(node.uid))
	}
	if old != nil && !slices.EqualFunc(old.owners, node.owners, sameBlocking) {
		// A dependent that stopped blocking (or dropped an owner) may free
		// an owner waiting for it in foreground deletion.
		c.wakeDeletingOwners(append(slices.Clone(old.owners), node.owners...))
	}
	if node.deleting && (slices.Contains(node.finalizers, metav1.FinalizerOrphanDependents) ||
		slices.Contains(node.finalizers, metav1.FinalizerDeleteDependents)) {
		c.queue.Add(processOwner + string(node.uid))
	}
}

func sameOwner(a, b metav1.OwnerReference) bool { return a.UID == b.UID }

func sameBlocking(a, b metav1.OwnerReference) bool {
	return a.UID == b.UID && blocks(a) == blocks(b)
}

func blocks(ref metav1.OwnerReference) bool {
	return ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion
}

// wakeDeletingOwners queues the owners among refs that are being deleted.
func (c *Collector) wakeDeletingOwners(refs []metav1.OwnerReference) {
	for _, ref := range refs {
		if owner := c.graph.get(ref.UID); owner != nil && owner.deleting {
			c.queue.Add(processOwner + string(ref.UID))
		}
	}
}

// forget removes a deleted object; its dependents may now be garbage, and
// an owner waiting in foreground deletion may now be free to go.
func (c *Collector) forget(m metav1.Object) {
	for _, d := range c.graph.remove(m.GetUID()) {
		c.queue.Add(checkDependent + string(d))
	}
	c.wakeDeletingOwners(m.GetOwnerReferences())
}

// Run collects until ctx ends.
func (c *Collector) Run(ctx context.Context, workers int) {
	c.factory.Start(ctx.Done())
	defer c.factory.Shutdown()
	runner.Run(ctx, "garbagecollector", c.queue, c.synced, workers, runner.Always(c.process))
}

// process carries out one work item.
func (c *Collector) process(ctx context.Context, item string) error {
	var err error
	if uid, ok := strings.CutPrefix(item, checkDependent); ok {
		err = c.checkDependent(ctx, types.UID(uid))
	} else if uid, ok := strings.CutPrefix(item, processOwner); ok {
		err = c.processOwner(ctx, types.UID(uid))
	}
	// Owners and dependents change under us all the time: retries are
	// routine, not errors to shout about.
	return runner.Quiet(err)
}

// ownerState is what a live read says about one owner reference.
type ownerState int

const (
	ownerPresent ownerState = iota
	ownerGone
	ownerDeletingForeground
)

// lookupOwner reads the owner named by ref, from the dependent's namespace
// if the owner's kind is namespaced.
func (c *Collector) lookupOwner(ctx context.Context, dependent *object, ref metav1.OwnerReference) (ownerState, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return ownerGone, nil
	}
	mapping, err := c.mapper.RESTMapping(gv.WithKind(ref.Kind).GroupKind(), gv.Version)
	if err != nil {
		// A kind the server does not serve cannot be an owner that exists.
		return ownerGone, nil
	}
	namespace := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		namespace = dependent.namespace
	}
	owner, err := c.client.Resource(mapping.Resource).Namespace(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return ownerGone, nil
	case err != nil:
		return ownerPresent, err
	case owner.UID != ref.UID:
		return ownerGone, nil
	case owner.DeletionTimestamp != nil && slices.Contains(owner.Finalizers, metav1.FinalizerDeleteDependents):
		return ownerDeletingForeground, nil
	}
	return ownerPresent, nil
}

// checkDependent deletes a dependent whose owners are all gone (or all
// deleting in the foreground), and drops the references to owners that
// are gone while others remain.
func (c *Collector) checkDependent(ctx context.Context, uid types.UID) error {
	obj := c.graph.get(uid)
	if obj == nil || len(obj.owners) == 0 {
		return nil
	}
	var present, gone, waiting []metav1.OwnerReference
	for _, ref := range obj.owners {
		// An owner the graph holds, not being deleted, exists: no need to
		// ask the API server (a new pod of a replica set would otherwise
		// cost one read each). Its delete event, when it comes, brings
		// this dependent back here.
		if owner := c.graph.get(ref.UID); owner != nil && !owner.deleting {
			present = append(present, ref)
			continue
		}
		state, err := c.lookupOwner(ctx, obj, ref)
		if err != nil {
			return err
		}
		switch state {
		case ownerPresent:
			present = append(present, ref)
		case ownerGone:
			gone = append(gone, ref)
		case ownerDeletingForeground:
			waiting = append(waiting, ref)
		}
	}
	client := c.client.Resource(obj.resource).Namespace(obj.namespace)
	switch {
	case len(present) > 0 && len(gone) > 0:
		// Keep the live owners; forget the dead ones.
		return c.patchOwners(ctx, obj, append(present, waiting...))
	case len(present) > 0:
		return nil
	case obj.deleting:
		return nil
	}
	policy := metav1.DeletePropagationBackground
	if dependents := c.graph.dependentsOf(uid); len(waiting) > 0 && len(dependents) > 0 {
		// Owners waiting on us in the foreground: our dependents go first too.
		policy = metav1.DeletePropagationForeground
		if c.anyDeletingForeground(dependents) {
			// A dependent that itself waits for its dependents in the
			// foreground may be one of our owners (a circle of owners):
			// each would wait for the other for ever. As upstream, we stop
			// blocking our owners, so that they can go first.
			if err := c.patchOwners(ctx, obj, unblocked(obj.owners)); err != nil {
				return err
			}
		}
	}
	klog.V(2).InfoS("garbage collecting", "resource", obj.resource.Resource, "namespace", obj.namespace, "name", obj.name, "propagation", policy)
	err := client.Delete(ctx, obj.name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &obj.uid}, PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// anyDeletingForeground says whether one of uids waits for its own
// dependents in foreground deletion.
func (c *Collector) anyDeletingForeground(uids []types.UID) bool {
	for _, uid := range uids {
		if obj := c.graph.get(uid); obj != nil && obj.deleting && slices.Contains(obj.finalizers, metav1.FinalizerDeleteDependents) {
			return true
		}
	}
	return false
}

// unblocked is refs with blockOwnerDeletion cleared.
func unblocked(refs []metav1.OwnerReference) []metav1.OwnerReference {
	out := slices.Clone(refs)
	for i := range out {
		if blocks(out[i]) {
			out[i].BlockOwnerDeletion = new(bool)
		}
	}
	return out
}

// processOwner carries out the orphan or foreground deletion of an owner.
func (c *Collector) processOwner(ctx context.Context, uid types.UID) error {
	owner := c.graph.get(uid)
	if owner == nil || !owner.deleting {
		return nil
	}
	switch {
	case slices.Contains(owner.finalizers, metav1.FinalizerOrphanDependents):
		for _, d := range c.graph.dependentsOf(uid) {
			dependent := c.graph.get(d)
			if dependent == nil {
				continue
			}
			remaining := slices.DeleteFunc(slices.Clone(dependent.owners), func(ref metav1.OwnerReference) bool { return ref.UID == uid })
			if err := c.patchOwners(ctx, dependent, remaining); err != nil {
				return err
			}
		}
		return c.removeFinalizer(ctx, owner, metav1.FinalizerOrphanDependents)
	case slices.Contains(owner.finalizers, metav1.FinalizerDeleteDependents):
		for _, d := range c.graph.dependentsOf(uid) {
			c.queue.Add(checkDependent + string(d))
		}
		if c.graph.blockingDependents(uid) > 0 {
			return nil // the delete of the last blocking dependent queues us again
		}
		return c.removeFinalizer(ctx, owner, metav1.FinalizerDeleteDependents)
	}
	return nil
}

// patchOwners replaces obj's ownerReferences, guarded by its uid.
func (c *Collector) patchOwners(ctx context.Context, obj *object, owners []metav1.OwnerReference) error {
	if owners == nil {
		owners = []metav1.OwnerReference{}
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": owners, "uid": obj.uid}})
	if err != nil {
		return err
	}
	_, err = c.client.Resource(obj.resource).Namespace(obj.namespace).Patch(ctx, obj.name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// removeFinalizer drops one finalizer, guarded by the object's uid.
func (c *Collector) removeFinalizer(ctx context.Context, obj *object, finalizer string) error {
	remaining := slices.DeleteFunc(slices.Clone(obj.finalizers), func(f string) bool { return f == finalizer })
	if remaining == nil {
		remaining = []string{}
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": remaining, "uid": obj.uid}})
	if err != nil {
		return err
	}
	_, err = c.client.Resource(obj.resource).Namespace(obj.namespace).Patch(ctx, obj.name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("removing finalizer %s from %s %s/%s: %w", finalizer, obj.resource.Resource, obj.namespace, obj.name, err)
	}
	return nil
}
