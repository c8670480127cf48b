// Package ownership is how a controller takes its objects: it adopts
// orphans its selector matches and releases objects it controls that the
// selector no longer matches, as upstream's controller ref manager does.
package ownership

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// PatchFunc applies a strategic merge patch to the named object.
type PatchFunc[T metav1.Object] func(ctx context.Context, namespace, name string, patch []byte) (T, error)

// Claim returns the candidates owner controls once it has adopted the
// matching orphans and released the controlled objects that stopped
// matching. Patches name the object's uid, so one that was deleted and
// re-created meanwhile is left alone. A deleting owner adopts nothing.
func Claim[T metav1.Object](ctx context.Context, owner metav1.Object, kind schema.GroupVersionKind, selector labels.Selector, candidates []T, patch PatchFunc[T]) ([]T, error) {
	var owned []T
	for _, obj := range candidates {
		ref := metav1.GetControllerOfNoCopy(obj)
		matches := selector.Matches(labels.Set(obj.GetLabels()))
		switch {
		case ref != nil && ref.UID == owner.GetUID() && matches:
			owned = append(owned, obj)
		case ref != nil && ref.UID == owner.GetUID():
			release := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"$patch":"delete","uid":%q}],"uid":%q}}`, owner.GetUID(), obj.GetUID())
			if _, err := patch(ctx, obj.GetNamespace(), obj.GetName(), []byte(release)); err != nil && !apierrors.IsNotFound(err) {
				return nil, err
			}
		case ref == nil && matches && obj.GetDeletionTimestamp() == nil && owner.GetDeletionTimestamp() == nil:
			adopt := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"apiVersion":%q,"kind":%q,"name":%q,"uid":%q,"controller":true,"blockOwnerDeletion":true}],"uid":%q}}`,
				kind.GroupVersion().String(), kind.Kind, owner.GetName(), owner.GetUID(), obj.GetUID())
			adopted, err := patch(ctx, obj.GetNamespace(), obj.GetName(), []byte(adopt))
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			owned = append(owned, adopted)
		}
	}
	return owned, nil
}

// ClaimPods is Claim for pods, patched through client.
func ClaimPods(ctx context.Context, client kubernetes.Interface, owner metav1.Object, kind schema.GroupVersionKind, selector labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	return Claim(ctx, owner, kind, selector, pods, func(ctx context.Context, namespace, name string, patch []byte) (*corev1.Pod, error) {
		return client.CoreV1().Pods(namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	})
}
