package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

func createConfigMaps(t *testing.T, ns string, n int, labels func(i int) map[string]string) {
	t.Helper()
	for i := range n {
		_, err := shared.Client.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%02d", i), Labels: labels(i)},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestPaginatedList(t *testing.T) {
	ns := newNamespace(t)
	waitForRootCA(t, ns)
	createConfigMaps(t, ns, 25, func(int) map[string]string { return nil })
	cms := shared.Client.CoreV1().ConfigMaps(ns)

	seen := map[string]bool{}
	opts := metav1.ListOptions{Limit: 10}
	pages := 0
	for {
		page, err := cms.List(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Items) > 10 {
			t.Fatalf("page of %d items with limit 10", len(page.Items))
		}
		for _, cm := range page.Items {
			if seen[cm.Name] {
				t.Fatalf("%s listed twice", cm.Name)
			}
			seen[cm.Name] = true
		}
		if page.Continue == "" {
			break
		}
		if page.RemainingItemCount == nil {
			t.Fatal("a page with a continue token has no remainingItemCount")
		}
		opts.Continue = page.Continue
	}
	if pages != 3 || len(seen) != 26 {
		t.Fatalf("%d pages, %d distinct items; want 3 and 26 (25 and kube-root-ca.crt)", pages, len(seen))
	}

	_, err := cms.List(context.Background(), metav1.ListOptions{Limit: 10, Continue: "not-a-token"})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("garbage continue token: want BadRequest, got %v", err)
	}
}

func TestLabelAndFieldSelectors(t *testing.T) {
	ns := newNamespace(t)
	waitForRootCA(t, ns) // one more configmap, without labels
	createConfigMaps(t, ns, 6, func(i int) map[string]string {
		if i%2 == 0 {
			return map[string]string{"tier": "front", "idx": fmt.Sprint(i)}
		}
		return map[string]string{"tier": "back", "idx": fmt.Sprint(i)}
	})
	cms := shared.Client.CoreV1().ConfigMaps(ns)
	for selector, want := range map[string]int{
		"tier=front":           3,
		"tier!=front":          4,
		"tier in (front,back)": 6,
		"tier=front,idx=4":     1,
		"idx notin (0,1,2)":    4,
		"missing":              0,
	} {
		list, err := cms.List(context.Background(), metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			t.Fatalf("%s: %v", selector, err)
		}
		if len(list.Items) != want {
			t.Errorf("label selector %q: %d items, want %d", selector, len(list.Items), want)
		}
	}
	list, err := cms.List(context.Background(), metav1.ListOptions{FieldSelector: "metadata.name=cm-03"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "cm-03" {
		t.Fatalf("field selector metadata.name=cm-03 returned %d items", len(list.Items))
	}
	all, err := shared.Client.CoreV1().ConfigMaps("").List(context.Background(), metav1.ListOptions{FieldSelector: "metadata.namespace=" + ns})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 7 {
		t.Fatalf("cluster-wide list with metadata.namespace=%s: %d items, want 7", ns, len(all.Items))
	}
}

func TestWatchResumesFromResourceVersion(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	// The root CA publisher's configmap would otherwise land among the
	// events watched.
	waitForRootCA(t, ns)
	cms := shared.Client.CoreV1().ConfigMaps(ns)
	first, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Changes made while no one watches...
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "b"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// ...are delivered, in order, to a watch resumed from before them.
	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: first.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	want := []struct {
		typ  watch.EventType
		name string
	}{{watch.Added, "b"}, {watch.Deleted, "a"}, {watch.Added, "c"}}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, metav1.CreateOptions{})
	}()
	for _, w2 := range want {
		select {
		case ev := <-w.ResultChan():
			cm, ok := ev.Object.(*corev1.ConfigMap)
			if !ok || ev.Type != w2.typ || cm.Name != w2.name {
				t.Fatalf("got %s %v, want %s %s", ev.Type, ev.Object, w2.typ, w2.name)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no event; want %s %s", w2.typ, w2.name)
		}
	}
}

// watchIsGone reports whether a watch from rv is answered with 410 Gone, at
// once or as its first event.
func watchIsGone(ctx context.Context, cms typedcorev1.ConfigMapInterface, rv string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
	if err != nil {
		return apierrors.IsResourceExpired(err) || apierrors.IsGone(err)
	}
	defer w.Stop()
	select {
	case ev := <-w.ResultChan():
		status, ok := ev.Object.(*metav1.Status)
		return ev.Type == watch.Error && ok && status.Code == http.StatusGone
	case <-ctx.Done():
		return false
	}
}
