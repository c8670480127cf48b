// Package healthcheck serves the proxy's own health (/healthz, /livez on
// --healthz-bind-address) and the health check node ports of Services with
// externalTrafficPolicy Local, which load balancers probe to learn which
// nodes have endpoints. Both answer as kube-proxy's do.
package healthcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// ProxyHealth tracks whether syncs keep up with changes.
type ProxyHealth struct {
	// Timeout is how long a queued change may wait for a sync before the
	// proxy calls itself unhealthy (upstream: twice the sync period).
	Timeout time.Duration

	mu sync.Mutex
	// pending says a change waits for a sync, since lastQueued.
	pending     bool
	lastQueued  time.Time
	lastUpdated time.Time
	lastError   string
	now         func() time.Time
}

// NewProxyHealth returns a tracker with the given timeout.
func NewProxyHealth(timeout time.Duration) *ProxyHealth {
	return &ProxyHealth{Timeout: timeout, now: time.Now}
}

// Queued records that a change is waiting for a sync.
func (h *ProxyHealth) Queued() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.pending {
		h.pending, h.lastQueued = true, h.now()
	}
}

// Updated records a successful sync; err non-nil records a failed one.
func (h *ProxyHealth) Updated(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.lastError = err.Error()
		return
	}
	h.lastError = ""
	h.pending, h.lastUpdated = false, h.now()
}

type status struct {
	LastUpdated string `json:"lastUpdated"`
	CurrentTime string `json:"currentTime"`
	LastError   string `json:"lastError,omitempty"`
	Healthy     bool   `json:"healthy"`
}

// Healthy says whether the proxy is healthy: it has synced once, its last
// sync did not fail, and no change has waited longer than Timeout.
func (h *ProxyHealth) Healthy() bool { return h.status().Healthy }

func (h *ProxyHealth) status() status {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	healthy := !h.lastUpdated.IsZero() && h.lastError == "" &&
		!(h.pending && now.Sub(h.lastQueued) > h.Timeout)
	s := status{CurrentTime: now.UTC().Format(time.RFC3339Nano), LastError: h.lastError, Healthy: healthy}
	if !h.lastUpdated.IsZero() {
		s.LastUpdated = h.lastUpdated.UTC().Format(time.RFC3339Nano)
	}
	return s
}

// ServeHTTP answers /healthz and /livez: 200 when healthy, 503 otherwise,
// with the times in a JSON body.
func (h *ProxyHealth) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s := h.status()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !s.Healthy {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(s)
}

// ServiceHealth serves one HTTP listener per health check node port.
type ServiceHealth struct {
	// Proxy is the proxy's own health, reported with each answer.
	Proxy *ProxyHealth
	// Listen opens a port's listener; tests and node namespaces replace it.
	Listen func(port int32) (net.Listener, error)

	mu      sync.Mutex
	servers map[int32]*serviceServer
}

type serviceServer struct {
	name   types.NamespacedName
	local  int
	server *http.Server
}

// NewServiceHealth listens on every address.
func NewServiceHealth(proxy *ProxyHealth) *ServiceHealth {
	return &ServiceHealth{
		Proxy:   proxy,
		Listen:  func(port int32) (net.Listener, error) { return net.Listen("tcp", fmt.Sprintf(":%d", port)) },
		servers: map[int32]*serviceServer{},
	}
}

// Target is one Service's health check port and its local endpoint count.
type Target struct {
	Name           types.NamespacedName
	LocalEndpoints int
}

// Sync makes the served ports exactly those in targets.
func (s *ServiceHealth) Sync(targets map[int32]Target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for port, srv := range s.servers {
		if t, ok := targets[port]; !ok || t.Name != srv.name {
			_ = srv.server.Shutdown(context.Background())
			delete(s.servers, port)
		}
	}
	for port, t := range targets {
		if srv, ok := s.servers[port]; ok {
			srv.local = t.LocalEndpoints
			continue
		}
		l, err := s.Listen(port)
		if err != nil {
			klog.ErrorS(err, "Failed to open the health check node port", "service", t.Name, "port", port)
			continue
		}
		srv := &serviceServer{name: t.Name, local: t.LocalEndpoints}
		srv.server = &http.Server{Handler: s.handler(port), ReadHeaderTimeout: 10 * time.Second}
		s.servers[port] = srv
		go func() { _ = srv.server.Serve(l) }()
	}
}

// Close stops every listener.
func (s *ServiceHealth) Close() {
	s.Sync(nil)
}

func (s *ServiceHealth) handler(port int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		srv, ok := s.servers[port]
		var name types.NamespacedName
		local := 0
		if ok {
			name, local = srv.name, srv.local
		}
		s.mu.Unlock()
		healthy := s.Proxy == nil || s.Proxy.Healthy()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if local == 0 || !healthy {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"service":             map[string]string{"namespace": name.Namespace, "name": name.Name},
			"localEndpoints":      local,
			"serviceProxyHealthy": healthy,
		})
	})
}
