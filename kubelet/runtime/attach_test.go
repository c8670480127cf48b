package runtime

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAttachRelaysStdio: a client attached through the shim's socket gets
// the container's output by stream and feeds its stdin, which is closed
// after the session (stdinOnce); the session ends when the container does.
func TestAttachRelaysStdio(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the shim's attach socket admits only root (runs in CI as root)")
	}
	stdinR, stdinW := io.Pipe()
	var resized []uint16
	var mu sync.Mutex
	server := &attachServer{stdin: stdinW, stdinOnce: true, resize: func(w, h uint16) {
		mu.Lock()
		resized = append(resized, w, h)
		mu.Unlock()
	}}
	id := "kyb-test-attach-" + strings.ReplaceAll(t.Name(), "/", "-")
	if err := server.listen(id); err != nil {
		t.Fatal(err)
	}
	received := make(chan string, 1)
	go func() {
		data, _ := io.ReadAll(stdinR) // ends when stdin is closed
		received <- string(data)
	}()

	var stdout, stderr syncBuffer
	resize := make(chan TerminalSize, 1)
	resize <- TerminalSize{Width: 80, Height: 24}
	done := make(chan error, 1)
	go func() {
		done <- (&Runc{}).Attach(context.Background(), id, strings.NewReader("typed"), &stdout, &stderr, resize)
	}()
	select {
	case in := <-received:
		if in != "typed" {
			t.Errorf("the container read %q", in)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stdin never closed after the client's input ended (stdinOnce)")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		server.output(frameStdout, []byte("out"))
		server.output(frameStderr, []byte("err"))
		if strings.Contains(stdout.String(), "out") && strings.Contains(stderr.String(), "err") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("output never reached the client: stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}
	mu.Lock()
	if len(resized) != 2 || resized[0] != 80 || resized[1] != 24 {
		t.Errorf("resizes %v, want 80x24", resized)
	}
	mu.Unlock()
	close(resize)
	server.close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("attach ended with %v, want nil when the container ends", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("attach did not end with the container")
	}
	if err := (&Runc{}).Attach(context.Background(), id, nil, &stdout, nil, nil); err == nil || !strings.Contains(err.Error(), "is not running") {
		t.Errorf("attach to an ended container: %v", err)
	}
}
