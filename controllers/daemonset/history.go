package daemonset

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

// revisionData is what a ControllerRevision of a DaemonSet holds, in
// upstream's form: a strategic merge patch that puts the template back,
// which `kubectl rollout undo daemonset` applies as it is.
func revisionData(ds *appsv1.DaemonSet) ([]byte, error) {
	raw, err := json.Marshal(ds.Spec.Template)
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

// ownedRevisions lists the controller revisions ds controls, oldest first.
func (c *Controller) ownedRevisions(ds *appsv1.DaemonSet) ([]*appsv1.ControllerRevision, error) {
	all, err := c.revisions.ControllerRevisions(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var owned []*appsv1.ControllerRevision
	for _, r := range all {
		if ref := metav1.GetControllerOf(r); ref != nil && ref.UID == ds.UID {
			owned = append(owned, r)
		}
	}
	sort.Slice(owned, func(i, j int) bool { return owned[i].Revision < owned[j].Revision })
	return owned, nil
}

// currentRevision finds or makes the revision of ds's template and returns
// its hash. A template seen before (a rollback) gets the newest revision
// number, as upstream. A name taken by other content bumps
// status.collisionCount, and the next sync hashes again.
func (c *Controller) currentRevision(ctx context.Context, ds *appsv1.DaemonSet, owned []*appsv1.ControllerRevision) (string, error) {
	data, err := revisionData(ds)
	if err != nil {
		return "", err
	}
	hash := podtemplate.Hash(&ds.Spec.Template, ds.Status.CollisionCount)
	latest := int64(0)
	var match *appsv1.ControllerRevision
	for _, r := range owned {
		latest = max(latest, r.Revision)
		if r.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash && sameData(r.Data.Raw, data) {
			match = r
		}
	}
	if match != nil {
		if match.Revision < latest {
			updated := match.DeepCopy()
			updated.Revision = latest + 1
			if _, err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
				return "", err
			}
		}
		return hash, nil
	}
	revisionLabels := map[string]string{appsv1.DefaultDaemonSetUniqueLabelKey: hash}
	for k, v := range ds.Spec.Template.Labels {
		revisionLabels[k] = v
	}
	revision := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:            ds.Name + "-" + hash,
			Namespace:       ds.Namespace,
			Labels:          revisionLabels,
			Annotations:     ds.Annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: latest + 1,
	}
	_, err = c.client.AppsV1().ControllerRevisions(ds.Namespace).Create(ctx, revision, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return hash, err
	}
	existing, getErr := c.client.AppsV1().ControllerRevisions(ds.Namespace).Get(ctx, revision.Name, metav1.GetOptions{})
	if getErr != nil {
		return "", getErr
	}
	if ref := metav1.GetControllerOf(existing); ref != nil && ref.UID == ds.UID && sameData(existing.Data.Raw, data) {
		return hash, nil // ours, not in the cache yet
	}
	updated := ds.DeepCopy()
	updated.Status.CollisionCount = ptr.To(ptr.Deref(ds.Status.CollisionCount, 0) + 1)
	if _, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return "", err
	}
	return "", fmt.Errorf("controller revision %s exists with other content; collision count now %d", revision.Name, *updated.Status.CollisionCount)
}

// trimHistory deletes the oldest revisions beyond revisionHistoryLimit that
// no pod runs and that are not current.
func (c *Controller) trimHistory(ctx context.Context, ds *appsv1.DaemonSet, owned []*appsv1.ControllerRevision, pods []*corev1.Pod, current string) error {
	inUse := map[string]bool{current: true}
	for _, pod := range pods {
		inUse[pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]] = true
	}
	var idle []*appsv1.ControllerRevision
	for _, r := range owned {
		if !inUse[r.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]] {
			idle = append(idle, r)
		}
	}
	limit := int(ptr.Deref(ds.Spec.RevisionHistoryLimit, 10))
	for _, r := range idle[:max(len(idle)-limit, 0)] {
		err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}
