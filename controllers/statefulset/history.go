package statefulset

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/podtemplate"
)

// revisionHashLabel is the hash of a revision's content, on the revision
// (upstream's controller.kubernetes.io/hash); pods name their revision
// in controller-revision-hash.
const revisionHashLabel = "controller.kubernetes.io/hash"

// revisionData is what a revision holds, in upstream's form: a strategic
// merge patch that puts the template back, which `kubectl rollout undo
// statefulset` applies as it is.
func revisionData(ss *appsv1.StatefulSet) ([]byte, error) {
	raw, err := json.Marshal(ss.Spec.Template)
	if err != nil {
		return nil, err
	}
	var template map[string]interface{}
	if err := json.Unmarshal(raw, &template); err != nil {
		return nil, err
	}
	template["$patch"] = "replace"
	return json.Marshal(map[string]interface{}{"spec": map[string]interface{}{"template": template}})
}

func sameData(a, b []byte) bool {
	var x, y interface{}
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// ownedRevisions lists the revisions ss controls, oldest first.
func (c *Controller) ownedRevisions(ss *appsv1.StatefulSet) ([]*appsv1.ControllerRevision, error) {
	all, err := c.revisions.ControllerRevisions(ss.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var owned []*appsv1.ControllerRevision
	for _, r := range all {
		if ref := metav1.GetControllerOf(r); ref != nil && ref.UID == ss.UID {
			owned = append(owned, r)
		}
	}
	sort.Slice(owned, func(i, j int) bool { return owned[i].Revision < owned[j].Revision })
	return owned, nil
}

func (c *Controller) revisionByName(owned []*appsv1.ControllerRevision, name string) *appsv1.ControllerRevision {
	for _, r := range owned {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// updateRevision finds or makes the revision of ss's template. A template
// seen before (a rollback) gets the newest revision number, as upstream;
// a name taken by other content bumps status.collisionCount.
func (c *Controller) updateRevision(ctx context.Context, ss *appsv1.StatefulSet, owned []*appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	data, err := revisionData(ss)
	if err != nil {
		return nil, err
	}
	hash := podtemplate.Hash(&ss.Spec.Template, ss.Status.CollisionCount)
	latest := int64(0)
	var match *appsv1.ControllerRevision
	for _, r := range owned {
		latest = max(latest, r.Revision)
		if r.Labels[revisionHashLabel] == hash && sameData(r.Data.Raw, data) {
			match = r
		}
	}
	if match != nil {
		if match.Revision < latest {
			updated := match.DeepCopy()
			updated.Revision = latest + 1
			return c.client.AppsV1().ControllerRevisions(ss.Namespace).Update(ctx, updated, metav1.UpdateOptions{})
		}
		return match, nil
	}
	revisionLabels := map[string]string{revisionHashLabel: hash}
	for k, v := range ss.Spec.Template.Labels {
		revisionLabels[k] = v
	}
	revision := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: ss.Name + "-" + hash, Namespace: ss.Namespace, Labels: revisionLabels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ss, controllerKind)}},
		Data:     runtime.RawExtension{Raw: data},
		Revision: latest + 1,
	}
	created, err := c.client.AppsV1().ControllerRevisions(ss.Namespace).Create(ctx, revision, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return created, err
	}
	existing, getErr := c.client.AppsV1().ControllerRevisions(ss.Namespace).Get(ctx, revision.Name, metav1.GetOptions{})
	if getErr != nil {
		return nil, getErr
	}
	if ref := metav1.GetControllerOf(existing); ref != nil && ref.UID == ss.UID && sameData(existing.Data.Raw, data) {
		return existing, nil // ours, not in the cache yet
	}
	updated := ss.DeepCopy()
	updated.Status.CollisionCount = ptr.To(ptr.Deref(ss.Status.CollisionCount, 0) + 1)
	if _, err := c.client.AppsV1().StatefulSets(ss.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("controller revision %s exists with other content; collision count now %d", revision.Name, *updated.Status.CollisionCount)
}

// trimHistory deletes the oldest revisions beyond revisionHistoryLimit
// that no pod runs and that are neither current nor the update.
func (c *Controller) trimHistory(ctx context.Context, ss *appsv1.StatefulSet, owned []*appsv1.ControllerRevision, pods []*corev1.Pod, current, update string) error {
	inUse := map[string]bool{current: true, update: true}
	for _, pod := range pods {
		inUse[pod.Labels[appsv1.ControllerRevisionHashLabelKey]] = true
	}
	var idle []*appsv1.ControllerRevision
	for _, r := range owned {
		if !inUse[r.Name] {
			idle = append(idle, r)
		}
	}
	limit := int(ptr.Deref(ss.Spec.RevisionHistoryLimit, 10))
	for _, r := range idle[:max(len(idle)-limit, 0)] {
		if err := c.client.AppsV1().ControllerRevisions(ss.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}
