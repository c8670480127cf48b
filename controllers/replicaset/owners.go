package replicaset

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// owners is where the controller reads the objects whose pods it keeps and
// writes their status, each seen as an apps/v1 ReplicaSet.
type owners interface {
	kind() schema.GroupVersionKind
	informer() cache.SharedIndexInformer
	get(namespace, name string) (*appsv1.ReplicaSet, error)
	list(namespace string) ([]*appsv1.ReplicaSet, error)
	updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) error
}

type replicaSetOwners struct {
	client      kubernetes.Interface
	replicaSets appsinformers.ReplicaSetInformer
}

func (o replicaSetOwners) kind() schema.GroupVersionKind {
	return appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
}
func (o replicaSetOwners) informer() cache.SharedIndexInformer { return o.replicaSets.Informer() }
func (o replicaSetOwners) get(namespace, name string) (*appsv1.ReplicaSet, error) {
	return o.replicaSets.Lister().ReplicaSets(namespace).Get(name)
}
func (o replicaSetOwners) list(namespace string) ([]*appsv1.ReplicaSet, error) {
	return o.replicaSets.Lister().ReplicaSets(namespace).List(labels.Everything())
}
func (o replicaSetOwners) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) error {
	_, err := o.client.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
	return err
}

// replicationControllerOwners shows ReplicationControllers as ReplicaSets:
// the two differ only in the selector's form (a map here, a LabelSelector
// there), so one controller serves both, as upstream's does.
type replicationControllerOwners struct {
	client      kubernetes.Interface
	controllers coreinformers.ReplicationControllerInformer
}

func (o replicationControllerOwners) kind() schema.GroupVersionKind {
	return corev1.SchemeGroupVersion.WithKind("ReplicationController")
}
func (o replicationControllerOwners) informer() cache.SharedIndexInformer {
	return o.controllers.Informer()
}
func (o replicationControllerOwners) get(namespace, name string) (*appsv1.ReplicaSet, error) {
	rc, err := o.controllers.Lister().ReplicationControllers(namespace).Get(name)
	if err != nil {
		return nil, err
	}
	return asReplicaSet(rc), nil
}
func (o replicationControllerOwners) list(namespace string) ([]*appsv1.ReplicaSet, error) {
	rcs, err := o.controllers.Lister().ReplicationControllers(namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	sets := make([]*appsv1.ReplicaSet, len(rcs))
	for i, rc := range rcs {
		sets[i] = asReplicaSet(rc)
	}
	return sets, nil
}

// updateStatus writes rs's status onto the stored controller; the
// resourceVersion carried over keeps the write optimistic.
func (o replicationControllerOwners) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet) error {
	rc := &corev1.ReplicationController{ObjectMeta: *rs.ObjectMeta.DeepCopy()}
	current, err := o.controllers.Lister().ReplicationControllers(rs.Namespace).Get(rs.Name)
	if err != nil {
		return err
	}
	rc.Spec = *current.Spec.DeepCopy()
	rc.ResourceVersion = rs.ResourceVersion
	rc.Status = corev1.ReplicationControllerStatus{
		Replicas:             rs.Status.Replicas,
		FullyLabeledReplicas: rs.Status.FullyLabeledReplicas,
		ReadyReplicas:        rs.Status.ReadyReplicas,
		AvailableReplicas:    rs.Status.AvailableReplicas,
		ObservedGeneration:   rs.Status.ObservedGeneration,
	}
	for _, c := range rs.Status.Conditions {
		rc.Status.Conditions = append(rc.Status.Conditions, corev1.ReplicationControllerCondition{
			Type: corev1.ReplicationControllerConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	_, err = o.client.CoreV1().ReplicationControllers(rs.Namespace).UpdateStatus(ctx, rc, metav1.UpdateOptions{})
	return err
}

// asReplicaSet is rc as the equivalent ReplicaSet, with rc's identity (name,
// uid, generation), so that owner references made from it point at rc.
func asReplicaSet(rc *corev1.ReplicationController) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{
		ObjectMeta: *rc.ObjectMeta.DeepCopy(),
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        rc.Spec.Replicas,
			MinReadySeconds: rc.Spec.MinReadySeconds,
			Selector:        &metav1.LabelSelector{MatchLabels: rc.Spec.Selector},
		},
		Status: appsv1.ReplicaSetStatus{
			Replicas:             rc.Status.Replicas,
			FullyLabeledReplicas: rc.Status.FullyLabeledReplicas,
			ReadyReplicas:        rc.Status.ReadyReplicas,
			AvailableReplicas:    rc.Status.AvailableReplicas,
			ObservedGeneration:   rc.Status.ObservedGeneration,
		},
	}
	if rc.Spec.Template != nil {
		rs.Spec.Template = *rc.Spec.Template.DeepCopy()
	}
	for _, c := range rc.Status.Conditions {
		rs.Status.Conditions = append(rs.Status.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return rs
}
