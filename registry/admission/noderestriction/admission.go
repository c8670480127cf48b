// Package noderestriction is upstream's NodeRestriction admission: what a
// kubelet (system:node:<name> in system:nodes) may write is narrowed to
// its own node. It may change only its own Node (not its taints, owner
// references or labels outside the kubelet's well-known ones) and its own
// node lease and CSINode; create only mirror pods bound to itself that
// use no API objects; update the status of, evict and delete only pods
// bound to itself; and ask for tokens only bound to its own pods. The
// Node authorizer says which kinds a kubelet may touch; this plugin says
// which objects.
package noderestriction

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	genericadmissioninit "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	kubeletapis "k8s.io/kubelet/pkg/apis"

	"github.com/kybernetes/kybernetes/apis/core/podrefs"
	"github.com/kybernetes/kybernetes/registry/authorization/node"
)

// PluginName is the upstream name of the plugin.
const PluginName = "NodeRestriction"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin holds the listers the checks read, and the client they fall
// back to for an object the cache has not seen yet.
type Plugin struct {
	*admission.Handler
	pods   corev1listers.PodLister
	nodes  corev1listers.NodeLister
	client kubernetes.Interface
}

var (
	_ admission.MutationInterface                           = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeInformerFactory = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeClientSet       = &Plugin{}
)

// SetExternalKubeClientSet takes the client.
func (p *Plugin) SetExternalKubeClientSet(client kubernetes.Interface) { p.client = client }

// pod reads a pod from the cache, or from the API when the cache has not
// seen it: a pod created a moment ago must not pass as missing (a missing
// pod lets a delete or eviction through, to storage's own 404).
func (p *Plugin) pod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	pod, err := p.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return p.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	}
	return pod, err
}

// node reads a node the same way.
func (p *Plugin) node(ctx context.Context, name string) (*corev1.Node, error) {
	n, err := p.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return p.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	}
	return n, err
}

// New returns the plugin.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update, admission.Delete)}
}

// SetExternalKubeInformerFactory takes the pod and node listers.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	pods, nodes := f.Core().V1().Pods(), f.Core().V1().Nodes()
	p.pods, p.nodes = pods.Lister(), nodes.Lister()
	p.SetReadyFunc(func() bool { return pods.Informer().HasSynced() && nodes.Informer().HasSynced() })
}

// ValidateInitialization says whether the listers were given.
func (p *Plugin) ValidateInitialization() error {
	if p.pods == nil || p.nodes == nil || p.client == nil {
		return errors.New("NodeRestriction has no pod or node lister or no client")
	}
	return nil
}

var (
	podsResource     = corev1.Resource("pods")
	nodesResource    = corev1.Resource("nodes")
	accountsResource = corev1.Resource("serviceaccounts")
	leasesResource   = coordinationv1.Resource("leases")
	csiNodesResource = storagev1.Resource("csinodes")
)

// Admit checks the requests of kubelets; anyone else's pass untouched.
// It runs as a mutating plugin, as upstream's, so that it sees the
// request before later plugins change the object.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	user := a.GetUserInfo()
	if user == nil || !slices.Contains(user.GetGroups(), "system:nodes") || !strings.HasPrefix(user.GetName(), "system:node:") {
		return nil
	}
	self := node.NodeName(user)
	if self == "" {
		return admission.NewForbidden(a, fmt.Errorf("could not determine node from user %q", user.GetName()))
	}
	switch a.GetResource().GroupResource() {
	case podsResource:
		switch a.GetSubresource() {
		case "":
			return p.admitPod(ctx, self, a)
		case "status":
			return p.admitPodStatus(self, a)
		case "eviction":
			return p.admitEviction(ctx, self, a)
		default:
			return admission.NewForbidden(a, fmt.Errorf("unexpected pod subresource %q, only 'status' and 'eviction' are allowed", a.GetSubresource()))
		}
	case nodesResource:
		return p.admitNode(self, a)
	case accountsResource:
		if a.GetSubresource() == "token" {
			return p.admitToken(ctx, self, a)
		}
	case leasesResource:
		if a.GetNamespace() == corev1.NamespaceNodeLease && a.GetName() != self {
			return admission.NewForbidden(a, errors.New("can only access node lease with the same name as the requesting node"))
		}
	case csiNodesResource:
		if a.GetName() != self {
			return admission.NewForbidden(a, fmt.Errorf("can only access CSINode with the same name as the requesting node"))
		}
	}
	return nil
}

// admitPod: a kubelet creates only its own mirror pods and deletes only
// pods bound to itself.
func (p *Plugin) admitPod(ctx context.Context, self string, a admission.Attributes) error {
	switch a.GetOperation() {
	case admission.Create:
		pod, ok := a.GetObject().(*corev1.Pod)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		return p.admitMirrorPod(ctx, self, a, pod)
	case admission.Delete:
		pod, err := p.pod(ctx, a.GetNamespace(), a.GetName())
		if apierrors.IsNotFound(err) {
			return nil // deleting what is not there is storage's 404
		}
		if err != nil {
			return admission.NewForbidden(a, err)
		}
		if pod.Spec.NodeName != self {
			return admission.NewForbidden(a, fmt.Errorf("node %q can only delete pods with spec.nodeName set to itself", self))
		}
		return nil
	default:
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %q, node %q can only create and delete mirror pods", a.GetOperation(), self))
	}
}

func (p *Plugin) admitMirrorPod(ctx context.Context, self string, a admission.Attributes, pod *corev1.Pod) error {
	if _, ok := pod.Annotations[corev1.MirrorPodAnnotationKey]; !ok {
		return admission.NewForbidden(a, fmt.Errorf("pod does not have %q annotation, node %q can only create mirror pods", corev1.MirrorPodAnnotationKey, self))
	}
	if pod.Spec.NodeName != self {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with spec.nodeName set to itself", self))
	}
	owners := pod.OwnerReferences
	switch {
	case len(owners) > 1:
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with a single owner reference set to itself", self))
	case len(owners) == 1:
		owner := owners[0]
		if owner.APIVersion != "v1" || owner.Kind != "Node" || owner.Name != self {
			return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with an owner reference set to itself", self))
		}
		if owner.Controller == nil || !*owner.Controller {
			return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with a controller owner reference set to itself", self))
		}
		if owner.BlockOwnerDeletion != nil && *owner.BlockOwnerDeletion {
			return admission.NewForbidden(a, fmt.Errorf("node %q must not set blockOwnerDeletion on an owner reference", self))
		}
		n, err := p.node(ctx, self)
		if err != nil {
			return admission.NewForbidden(a, fmt.Errorf("error looking up node %s to verify uid: %v", self, err))
		}
		if n.UID != owner.UID {
			return admission.NewForbidden(a, fmt.Errorf("node %s UID mismatch: expected %s got %s", self, owner.UID, n.UID))
		}
	}
	// A static pod is the node's own: it may not reach for the API's
	// objects, which the node could not otherwise read.
	if resource := apiReference(pod); resource != "" {
		return admission.NewForbidden(a, fmt.Errorf("node %q can not create pods that reference %s", self, resource))
	}
	return nil
}

// apiReference names the first kind of API object a pod uses, if any.
func apiReference(pod *corev1.Pod) string {
	switch {
	case pod.Spec.ServiceAccountName != "":
		return "serviceaccounts"
	case len(podrefs.SecretNames(pod)) > 0:
		return "secrets"
	case len(podrefs.ConfigMapNames(pod)) > 0:
		return "configmaps"
	case len(podrefs.ClaimNames(pod)) > 0:
		return "persistentvolumeclaims"
	}
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, source := range v.Projected.Sources {
			switch {
			case source.ServiceAccountToken != nil:
				return "serviceaccounts"
			case source.ClusterTrustBundle != nil:
				return "clustertrustbundles"
			case source.PodCertificate != nil:
				return "podcertificates"
			}
		}
	}
	return ""
}

// admitPodStatus: only pods bound to the node, and not their labels.
func (p *Plugin) admitPodStatus(self string, a admission.Attributes) error {
	if a.GetOperation() != admission.Update {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %q", a.GetOperation()))
	}
	old, ok := a.GetOldObject().(*corev1.Pod)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetOldObject()))
	}
	if old.Spec.NodeName != self {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only update pod status for pods with spec.nodeName set to itself", self))
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	if !maps.Equal(old.Labels, pod.Labels) {
		return admission.NewForbidden(a, fmt.Errorf("node %q cannot update labels through pod status", self))
	}
	return nil
}

// admitEviction: only pods bound to the node.
func (p *Plugin) admitEviction(ctx context.Context, self string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %s", a.GetOperation()))
	}
	name := a.GetName()
	if name == "" {
		eviction, ok := a.GetObject().(*policyv1.Eviction)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		name = eviction.Name
	}
	if name == "" {
		return admission.NewForbidden(a, errors.New("could not determine pod from request data"))
	}
	pod, err := p.pod(ctx, a.GetNamespace(), name)
	if apierrors.IsNotFound(err) {
		return nil // the eviction's own 404
	}
	if err != nil {
		return admission.NewForbidden(a, err)
	}
	if pod.Spec.NodeName != self {
		return admission.NewForbidden(a, fmt.Errorf("node %s can only evict pods with spec.nodeName set to itself", self))
	}
	return nil
}

// admitNode: only its own Node; on create no restricted labels, on update
// no change of taints, owner references or restricted labels.
func (p *Plugin) admitNode(self string, a admission.Attributes) error {
	requested := a.GetName()
	if a.GetOperation() == admission.Create {
		if n, ok := a.GetObject().(*corev1.Node); ok {
			requested = n.Name
		}
	}
	if requested != self {
		return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to modify node %q", self, requested))
	}
	switch a.GetOperation() {
	case admission.Create:
		n, ok := a.GetObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		if forbidden := forbiddenLabels(sets.KeySet(n.Labels)); forbidden.Len() > 0 {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to set the following labels: %s", self, strings.Join(sets.List(forbidden), ", ")))
		}
	case admission.Update:
		n, ok := a.GetObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		old, ok := a.GetOldObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetOldObject()))
		}
		if !apiequality.Semantic.DeepEqual(n.Spec.Taints, old.Spec.Taints) {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to modify taints", self))
		}
		if !apiequality.Semantic.DeepEqual(n.OwnerReferences, old.OwnerReferences) {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to modify ownerReferences", self))
		}
		if forbidden := forbiddenLabels(changedLabels(old.Labels, n.Labels)); forbidden.Len() > 0 {
			return admission.NewForbidden(a, fmt.Errorf("is not allowed to modify labels: %s", strings.Join(sets.List(forbidden), ", ")))
		}
	}
	return nil
}

// changedLabels are the keys added, removed or given another value.
func changedLabels(old, updated map[string]string) sets.Set[string] {
	changed := sets.New[string]()
	for k, v := range updated {
		if was, ok := old[k]; !ok || was != v {
			changed.Insert(k)
		}
	}
	for k := range old {
		if _, ok := updated[k]; !ok {
			changed.Insert(k)
		}
	}
	return changed
}

// forbiddenLabels are those a kubelet may not set: the
// node-restriction.kubernetes.io namespace (for labels only an admin sets,
// which workloads may then trust), and kubernetes.io and k8s.io labels
// other than the kubelet's own well-known ones.
func forbiddenLabels(keys sets.Set[string]) sets.Set[string] {
	forbidden := sets.New[string]()
	for key := range keys {
		namespace, _, found := strings.Cut(key, "/")
		if !found {
			continue
		}
		if inNamespace(namespace, corev1.LabelNamespaceNodeRestriction) {
			forbidden.Insert(key)
		}
		if (inNamespace(namespace, "kubernetes.io") || inNamespace(namespace, "k8s.io")) && !kubeletapis.IsKubeletLabel(key) {
			forbidden.Insert(key)
		}
	}
	return forbidden
}

func inNamespace(namespace, domain string) bool {
	return namespace == domain || strings.HasSuffix(namespace, "."+domain)
}

// admitToken: a kubelet's tokens are bound to its own pods.
func (p *Plugin) admitToken(ctx context.Context, self string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create {
		return nil
	}
	request, ok := a.GetObject().(*authenticationv1.TokenRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	ref := request.Spec.BoundObjectRef
	if ref == nil || ref.Kind != "Pod" {
		return admission.NewForbidden(a, errors.New("node requested token not bound to a pod"))
	}
	if ref.UID == "" {
		return admission.NewForbidden(a, errors.New("node requested token with a pod binding without a uid"))
	}
	pod, err := p.pod(ctx, a.GetNamespace(), ref.Name)
	if apierrors.IsNotFound(err) {
		return apierrors.NewNotFound(podsResource, ref.Name)
	}
	if err != nil {
		return admission.NewForbidden(a, err)
	}
	if pod.UID != ref.UID {
		return admission.NewForbidden(a, fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	if pod.Spec.NodeName != self {
		return admission.NewForbidden(a, errors.New("node requested token bound to a pod scheduled on a different node"))
	}
	return nil
}
