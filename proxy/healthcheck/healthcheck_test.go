package healthcheck

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProxyHealth(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewProxyHealth(time.Minute)
	h.now = func() time.Time { return now }
	code := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code
	}
	if code() != http.StatusServiceUnavailable {
		t.Error("healthy before the first sync")
	}
	h.Updated(nil)
	if code() != http.StatusOK {
		t.Error("unhealthy after a sync")
	}
	h.Queued()
	now = now.Add(30 * time.Second)
	if code() != http.StatusOK {
		t.Error("unhealthy while a change waits less than the timeout")
	}
	now = now.Add(31 * time.Second)
	if code() != http.StatusServiceUnavailable {
		t.Error("healthy while a change has waited longer than the timeout")
	}
	h.Updated(nil)
	if code() != http.StatusOK {
		t.Error("unhealthy after the change was synced")
	}
	h.Updated(errors.New("iptables-restore: exit status 1"))
	if code() != http.StatusServiceUnavailable {
		t.Error("healthy after a failed sync")
	}
}
