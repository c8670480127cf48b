// Package node is the Node authorizer: a kubelet (system:node:<name> in
// system:nodes) may do what upstream's system:node role allows, and read a
// Secret, ConfigMap, PersistentVolumeClaim or PersistentVolume only when a
// pod bound to its node uses it, as upstream's Node authorizer decides.
// Other users get no opinion.
package node

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kybernetes/kybernetes/apis/core/podrefs"
	"github.com/kybernetes/kybernetes/registry/rbac/bootstrappolicy"
	"github.com/kybernetes/kybernetes/registry/rbac/rules"
)

const (
	nodeUserPrefix = "system:node:"
	byNodeName     = "spec.nodeName"
)

// Authorizer decides for kubelets from the pods bound to their nodes.
type Authorizer struct {
	pods   cache.Indexer
	claims corelisters.PersistentVolumeClaimLister
}

// New returns the authorizer over informers of pods and claims; it adds an
// index of pods by node to the pod informer, so it must be called before
// the informers start.
func New(pods coreinformers.PodInformer, claims coreinformers.PersistentVolumeClaimInformer) (*Authorizer, error) {
	err := pods.Informer().AddIndexers(cache.Indexers{byNodeName: func(obj interface{}) ([]string, error) {
		if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
			return []string{p.Spec.NodeName}, nil
		}
		return nil, nil
	}})
	if err != nil {
		return nil, err
	}
	return &Authorizer{pods: pods.Informer().GetIndexer(), claims: claims.Lister()}, nil
}

// NodeName is the node a kubelet's identity names, or "".
func NodeName(u user.Info) string {
	if u == nil || !strings.HasPrefix(u.GetName(), nodeUserPrefix) || !slices.Contains(u.GetGroups(), user.NodesGroup) {
		return ""
	}
	return strings.TrimPrefix(u.GetName(), nodeUserPrefix)
}

var nodeRules = bootstrappolicy.NodeRules()

// Authorize implements authorizer.Authorizer.
func (a *Authorizer) Authorize(_ context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	node := NodeName(attrs.GetUser())
	if node == "" {
		return authorizer.DecisionNoOpinion, "", nil
	}
	if attrs.IsResourceRequest() && attrs.GetAPIGroup() == "" && attrs.GetSubresource() == "" {
		switch attrs.GetResource() {
		case "secrets", "configmaps", "persistentvolumeclaims", "persistentvolumes":
			return a.authorizeReference(node, attrs)
		}
	}
	if attrs.IsResourceRequest() && attrs.GetAPIGroup() == "" && attrs.GetResource() == "serviceaccounts" && attrs.GetSubresource() == "token" {
		return a.authorizeToken(node, attrs)
	}
	for i := range nodeRules {
		if rules.Allows(attrs, &nodeRules[i]) {
			return authorizer.DecisionAllow, "", nil
		}
	}
	return authorizer.DecisionNoOpinion, "", nil
}

// authorizeReference lets the kubelet read one named object that a pod
// on its node uses; never a list of them all.
func (a *Authorizer) authorizeReference(node string, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	switch attrs.GetVerb() {
	case "get", "list", "watch":
	default:
		return authorizer.DecisionNoOpinion, fmt.Sprintf("can only read resource %q", attrs.GetResource()), nil
	}
	if attrs.GetName() == "" {
		return authorizer.DecisionNoOpinion, "can only read individual " + attrs.GetResource(), nil
	}
	if a.references(node, attrs.GetResource(), attrs.GetNamespace(), attrs.GetName()) {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, fmt.Sprintf("no relationship found between node '%s' and this object", node), nil
}

// authorizeToken lets the kubelet ask for tokens only of the service
// accounts its pods run as (for their projected token volumes).
func (a *Authorizer) authorizeToken(node string, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	if attrs.GetVerb() != "create" || attrs.GetName() == "" {
		return authorizer.DecisionNoOpinion, "can only create tokens for individual service accounts", nil
	}
	objs, err := a.pods.ByIndex(byNodeName, node)
	if err != nil {
		return authorizer.DecisionNoOpinion, "", err
	}
	for _, obj := range objs {
		pod := obj.(*corev1.Pod)
		if pod.Namespace == attrs.GetNamespace() && pod.Spec.ServiceAccountName == attrs.GetName() {
			return authorizer.DecisionAllow, "", nil
		}
	}
	return authorizer.DecisionNoOpinion, fmt.Sprintf("no relationship found between node '%s' and this object", node), nil
}

// references says whether a pod bound to node uses the object.
func (a *Authorizer) references(node, resource, namespace, name string) bool {
	objs, err := a.pods.ByIndex(byNodeName, node)
	if err != nil {
		return false
	}
	for _, obj := range objs {
		pod := obj.(*corev1.Pod)
		if resource != "persistentvolumes" && pod.Namespace != namespace {
			continue
		}
		switch resource {
		case "secrets":
			if slices.Contains(podrefs.SecretNames(pod), name) {
				return true
			}
		case "configmaps":
			if slices.Contains(podrefs.ConfigMapNames(pod), name) {
				return true
			}
		case "persistentvolumeclaims":
			if slices.Contains(podrefs.ClaimNames(pod), name) {
				return true
			}
		case "persistentvolumes":
			for _, claimName := range podrefs.ClaimNames(pod) {
				claim, err := a.claims.PersistentVolumeClaims(pod.Namespace).Get(claimName)
				if err == nil && claim.Spec.VolumeName == name {
					return true
				}
			}
		}
	}
	return false
}
