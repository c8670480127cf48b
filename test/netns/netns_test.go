package netns

import (
	"io"
	"net"
	"testing"
)

func TestHostReachesAListenerInTheNamespace(t *testing.T) {
	ns := New(t)
	l := ns.Listen(t, ":0")
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		_, _ = io.WriteString(c, "hello from "+ns.Name)
		_ = c.Close()
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hello from "+ns.Name {
		t.Fatalf("read %q, %v", got, err)
	}
	// A loopback listener inside is the namespace's loopback, not the host's.
	inner := ns.Listen(t, "127.0.0.1:0")
	if c2, err := net.Dial("tcp", inner.Addr().String()); err == nil {
		_ = c2.Close()
		t.Fatalf("the host's loopback answered on %s: the listener is in the host namespace", inner.Addr())
	}
}
