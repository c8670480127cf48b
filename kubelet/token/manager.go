// Package token keeps the service account tokens of a node's projected
// volumes: each is asked for once through the TokenRequest API, bound to
// its pod, and asked for again once 80% of its life (or a day) has
// passed, as upstream's kubelet does — so that rewriting a pod's volumes
// every minute does not mint a token every minute.
package token

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// maxAge is the longest a token is used before it is replaced, however
// long it lasts.
const maxAge = 24 * time.Hour

// Manager asks for and caches tokens.
type Manager struct {
	client kubernetes.Interface
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	token   string
	issued  time.Time
	expires time.Time
	podUID  types.UID
}

// NewManager returns a manager asking with client.
func NewManager(client kubernetes.Interface) *Manager {
	return &Manager{client: client, now: time.Now, cache: map[string]cached{}}
}

// PodToken is the token the projection asks for, bound to pod and run as
// its service account.
func (m *Manager) PodToken(ctx context.Context, pod *corev1.Pod, projection *corev1.ServiceAccountTokenProjection) (string, error) {
	seconds := int64(3600)
	if projection.ExpirationSeconds != nil {
		seconds = *projection.ExpirationSeconds
	}
	var audiences []string
	if projection.Audience != "" {
		audiences = []string{projection.Audience}
	}
	key := strings.Join([]string{pod.Namespace, pod.Spec.ServiceAccountName, string(pod.UID), projection.Audience, fmt.Sprint(seconds)}, "/")

	m.mu.Lock()
	entry, ok := m.cache[key]
	m.mu.Unlock()
	if ok && !m.stale(entry) {
		return entry.token, nil
	}
	request := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences:         audiences,
		ExpirationSeconds: &seconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID},
	}}
	issued := m.now()
	response, err := m.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, pod.Spec.ServiceAccountName, request, metav1.CreateOptions{})
	if err != nil {
		if ok && m.now().Before(entry.expires) {
			// The old token still works: keep using it and ask again
			// at the next refresh.
			return entry.token, nil
		}
		return "", fmt.Errorf("failed to fetch token: %w", err)
	}
	entry = cached{token: response.Status.Token, issued: issued, expires: response.Status.ExpirationTimestamp.Time,
		podUID: pod.UID}
	m.mu.Lock()
	m.cache[key] = entry
	m.mu.Unlock()
	return entry.token, nil
}

// stale: past 80% of the token's life, or older than a day.
func (m *Manager) stale(entry cached) bool {
	now := m.now()
	life := entry.expires.Sub(entry.issued)
	return now.After(entry.issued.Add(life*8/10)) || now.Sub(entry.issued) > maxAge
}

// Forget drops the tokens of a pod the node no longer runs (nothing on a
// node without a manager).
func (m *Manager) Forget(podUID types.UID) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, entry := range m.cache {
		if entry.podUID == podUID {
			delete(m.cache, key)
		}
	}
}
