package token

import (
	"context"
	"fmt"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

// issuing answers TokenRequests with numbered tokens valid for what they
// ask, and records the requests.
func issuing(now *time.Time) (*fake.Clientset, *[]*authenticationv1.TokenRequest) {
	client := fake.NewClientset()
	var seen []*authenticationv1.TokenRequest
	client.PrependReactor("create", "serviceaccounts", func(action clienttesting.Action) (bool, runtime.Object, error) {
		create := action.(clienttesting.CreateAction)
		if create.GetSubresource() != "token" {
			return false, nil, nil
		}
		req := create.GetObject().(*authenticationv1.TokenRequest).DeepCopy()
		seen = append(seen, req)
		if req.Spec.BoundObjectRef.Name == "refused" {
			return true, nil, fmt.Errorf("refused")
		}
		req.Status.Token = fmt.Sprintf("token-%d", len(seen))
		req.Status.ExpirationTimestamp = metav1.NewTime(now.Add(time.Duration(*req.Spec.ExpirationSeconds) * time.Second))
		return true, req, nil
	})
	return client, &seen
}

func TestPodTokenIsCachedAndRefreshed(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	client, seen := issuing(&now)
	m := NewManager(client)
	m.now = func() time.Time { return now }
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "uid-1"}, Spec: corev1.PodSpec{ServiceAccountName: "app"}}
	projection := &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}
	ctx := context.Background()

	got, err := m.PodToken(ctx, pod, projection)
	if err != nil || got != "token-1" {
		t.Fatalf("first token: %q %v", got, err)
	}
	req := (*seen)[0]
	if ref := req.Spec.BoundObjectRef; ref == nil || ref.Kind != "Pod" || ref.Name != "web" || ref.UID != "uid-1" || len(req.Spec.Audiences) != 0 {
		t.Errorf("request: %+v", req.Spec)
	}
	// Within 80% of its life the token is reused.
	now = now.Add(40 * time.Minute)
	if got, _ := m.PodToken(ctx, pod, projection); got != "token-1" || len(*seen) != 1 {
		t.Errorf("at 40m: %q after %d requests", got, len(*seen))
	}
	// Past it, a new one is asked for.
	now = now.Add(9 * time.Minute)
	if got, _ := m.PodToken(ctx, pod, projection); got != "token-2" {
		t.Errorf("at 49m: %q", got)
	}
	// Another audience is another token.
	if got, _ := m.PodToken(ctx, pod, &corev1.ServiceAccountTokenProjection{Path: "vault", Audience: "vault"}); got != "token-3" || (*seen)[2].Spec.Audiences[0] != "vault" {
		t.Errorf("vault token: %q", got)
	}
	// A pod the node forgets loses its tokens.
	m.Forget("uid-1")
	if got, _ := m.PodToken(ctx, pod, projection); got != "token-4" {
		t.Errorf("after Forget: %q", got)
	}
}

func TestPodTokenRefusedIsAnError(t *testing.T) {
	now := time.Now()
	client, _ := issuing(&now)
	m := NewManager(client)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "refused", UID: "u"}, Spec: corev1.PodSpec{ServiceAccountName: "app"}}
	if _, err := m.PodToken(context.Background(), pod, &corev1.ServiceAccountTokenProjection{Path: "token"}); err == nil {
		t.Fatal("a refused request gave a token")
	}
}
