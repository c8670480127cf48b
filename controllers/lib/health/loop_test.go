package health

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// /healthz says ok while the loop runs and fails, naming why, once it
// has stopped: never ok for a component that does nothing.
func TestHealthzFailsOnceTheLoopStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port := freePort(t)
	loop := NewLoop("scheduling-loop")
	if err := Serve(ctx, "127.0.0.1", port, loop); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	get := func() (int, string) {
		t.Helper()
		var resp *http.Response
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if resp, err = client.Get(fmt.Sprintf("https://127.0.0.1:%d/healthz?verbose", port)); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(); code != http.StatusOK || !strings.Contains(body, "[+]scheduling-loop ok") {
		t.Fatalf("running: %d %s", code, body)
	}
	loop.Stopped(errors.New("discovery failed"))
	if code, body := get(); code != http.StatusInternalServerError || !strings.Contains(body, "[-]scheduling-loop failed") {
		t.Fatalf("stopped: %d %s", code, body)
	}
}
