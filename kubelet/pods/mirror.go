package pods

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/kubelet/static"
)

// Static pods run from their manifests (--pod-manifest-path), whatever
// the API says; the API holds a mirror pod for each — a copy, owned by the
// Node, marked with the static pod's UID — so that users see them and
// their status. A mirror pod deleted or out of date is made again; one
// whose manifest is gone is deleted.

// PodUID is the UID of the pod the node runs for an API pod: a mirror
// pod's static pod, or the pod itself.
func PodUID(pod *corev1.Pod) types.UID {
	if uid, ok := pod.Annotations[static.ConfigMirrorAnnotation]; ok {
		return types.UID(uid)
	}
	return pod.UID
}

func isMirror(pod *corev1.Pod) bool {
	_, ok := pod.Annotations[static.ConfigMirrorAnnotation]
	return ok
}

// setStaticPods takes a read of the manifests and queues the pods that
// came, went or changed.
func (m *Manager) setStaticPods(pods map[string]*corev1.Pod) {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := map[string]bool{}
	for key, pod := range pods {
		if old := m.static[key]; old == nil || old.UID != pod.UID {
			changed[key] = true
		}
	}
	for key := range m.static {
		if pods[key] == nil {
			changed[key] = true
		}
	}
	m.static = pods
	if m.queue != nil {
		for key := range changed {
			m.queue.Add(key)
		}
	}
}

func (m *Manager) staticPod(key string) *corev1.Pod {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.static[key]
}

// syncMirror makes sure the static pod has an up-to-date mirror pod and
// returns it (nil if it cannot be made now).
func (m *Manager) syncMirror(ctx context.Context, pod, mirror *corev1.Pod) (*corev1.Pod, error) {
	if mirror != nil && mirror.DeletionTimestamp == nil && mirror.Annotations[static.ConfigMirrorAnnotation] == string(pod.UID) {
		return mirror, nil
	}
	if mirror != nil {
		// Deleted by someone, or of an older manifest: made again.
		m.deleteMirror(ctx, mirror)
	}
	nodeUID, err := m.nodeUID(ctx)
	if err != nil {
		return nil, err
	}
	copy := pod.DeepCopy()
	copy.UID, copy.ResourceVersion = "", ""
	copy.Annotations[static.ConfigMirrorAnnotation] = string(pod.UID)
	copy.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: m.NodeName, UID: nodeUID, Controller: ptr.To(true)}}
	created, err := m.Client.CoreV1().Pods(pod.Namespace).Create(ctx, copy, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil, nil // the informer has not shown it to us yet: next sync
	}
	if err != nil {
		m.Recorder.Eventf(pod, corev1.EventTypeWarning, "FailedCreateMirrorPod", "Error creating a mirror pod for %q: %v", pod.Namespace+"/"+pod.Name, err)
		return nil, fmt.Errorf("creating the mirror pod of %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.V(2).InfoS("created a mirror pod", "pod", klog.KObj(created), "static", pod.UID)
	return created, nil
}

// deleteMirror deletes a mirror pod at once, if it is still that one.
func (m *Manager) deleteMirror(ctx context.Context, mirror *corev1.Pod) {
	err := m.Client.CoreV1().Pods(mirror.Namespace).Delete(ctx, mirror.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &mirror.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		klog.ErrorS(err, "deleting a mirror pod", "pod", klog.KObj(mirror))
	}
}

// nodeUID is the Node's UID, for mirror pods' owner reference.
func (m *Manager) nodeUID(ctx context.Context) (types.UID, error) {
	m.mu.Lock()
	uid := m.nodeUIDCache
	m.mu.Unlock()
	if uid != "" {
		return uid, nil
	}
	node, err := m.Client.CoreV1().Nodes().Get(ctx, m.NodeName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to get node UID: %w", err)
	}
	m.mu.Lock()
	m.nodeUIDCache = node.UID
	m.mu.Unlock()
	return node.UID, nil
}
