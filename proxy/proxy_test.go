package proxy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/proxy/conntrack"
	"github.com/kybernetes/kybernetes/proxy/iptables"
	"github.com/kybernetes/kybernetes/proxy/state"
)

// fakeSyncer fails its first failures syncs, then records snapshots.
type fakeSyncer struct {
	mu        sync.Mutex
	failures  int
	calls     int
	snapshots []*state.Snapshot
}

func (f *fakeSyncer) EnsureJumps() error { return nil }

func (f *fakeSyncer) Sync(snap *state.Snapshot, _ map[types.NamespacedName]bool) (*iptables.Tables, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		return nil, errors.New("iptables-restore: line 7 failed")
	}
	f.snapshots = append(f.snapshots, snap)
	return &iptables.Tables{NATRules: 1}, nil
}

func (f *fakeSyncer) state() (calls int, last *state.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.snapshots) > 0 {
		last = f.snapshots[len(f.snapshots)-1]
	}
	return f.calls, last
}

func udpService(name, ip string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeClusterIP, ClusterIP: ip, ClusterIPs: []string{ip},
		Ports: []corev1.ServicePort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}},
	}}
}

func udpSlice(service string, ips ...string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "ns", Name: service + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("dns"), Port: ptr.To[int32](5353), Protocol: ptr.To(corev1.ProtocolUDP)}},
	}
	for _, ip := range ips {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}})
	}
	return s
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func healthCode(p *proxier) (int, string) {
	rec := httptest.NewRecorder()
	p.health.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	return rec.Code, rec.Body.String()
}

// TestProxierRetriesFailedSyncs: a sync that iptables refuses is retried
// with back-off, shows in /healthz and the failure counter, and the proxy
// recovers by itself; changes then reach the rules, and endpoints that
// leave a UDP service have their conntrack flows deleted.
func TestProxierRetriesFailedSyncs(t *testing.T) {
	client := fake.NewClientset(udpService("dns", "10.96.0.10"), udpSlice("dns", "10.244.0.2", "10.244.0.3"))
	syncer := &fakeSyncer{failures: 2}
	o := DefaultOptions()
	o.MinSyncPeriod, o.SyncPeriod = 0, time.Minute
	p := newProxier(client, syncer, "n1", o)
	var mu sync.Mutex
	var deleted []conntrack.Flow
	p.deleteFlows = func(f []conntrack.Flow) { mu.Lock(); deleted = append(deleted, f...); mu.Unlock() }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.run(ctx) }()

	waitUntil(t, "the first sync attempt", func() bool { calls, _ := syncer.state(); return calls >= 1 })
	if code, body := healthCode(p); code != http.StatusServiceUnavailable || !strings.Contains(body, "line 7 failed") {
		t.Errorf("after a failed sync /healthz answered %d %s", code, body)
	}
	waitUntil(t, "a successful sync after two failures", func() bool { _, last := syncer.state(); return last != nil })
	if code, _ := healthCode(p); code != http.StatusOK {
		t.Errorf("after recovering /healthz answered %d", code)
	}
	if n := testutil.ToFloat64(p.metrics.restoreFailures.WithLabelValues(family)); n != 2 {
		t.Errorf("restore failures counted: %v, want 2", n)
	}

	// An endpoint leaves: the next sync has one, and its flows are deleted.
	if _, err := client.DiscoveryV1().EndpointSlices("ns").Update(ctx, udpSlice("dns", "10.244.0.2"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the sync of the removed endpoint", func() bool {
		_, last := syncer.state()
		return last != nil && len(last.Endpoints[last.Ports[0].Name]) == 1
	})
	mu.Lock()
	got := append([]conntrack.Flow(nil), deleted...)
	mu.Unlock()
	if len(got) != 1 || got[0] != (conntrack.Flow{Address: "10.96.0.10", Port: 53, Endpoint: "10.244.0.3"}) {
		t.Errorf("stale flows deleted: %+v", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
