package runtime

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Attach: the shim owns the container's stdio (pipes, or a terminal for a
// container with tty) and serves attach clients on a unix socket in the
// abstract namespace named after the container, where paths cannot be too
// long and nothing is left on disk. Only root may connect (the peer's
// credentials are checked): the kubelet runs as root, and a container's
// stdin is not for other users of the machine.
//
// The protocol: the client sends one line of JSON (attachRequest), then
// both sides send frames — a byte for the stream, four for the length
// (big-endian), the payload. Client to shim: stdin data, stdin closed,
// terminal size (two uint16, width and height). Shim to client: stdout
// and stderr data. The shim closes the connection when the container ends.
const (
	frameStdin byte = iota
	frameStdout
	frameStderr
	frameStdinClosed
	frameResize
)

type attachRequest struct {
	Stdin  bool `json:"stdin"`
	Stdout bool `json:"stdout"`
	Stderr bool `json:"stderr"`
}

func attachAddress(id string) string { return "@kybernetes/attach/" + id }

func writeFrame(w io.Writer, kind byte, payload []byte) error {
	header := make([]byte, 5)
	header[0] = kind
	binary.BigEndian.PutUint32(header[1:], uint32(len(payload)))
	if _, err := w.Write(append(header, payload...)); err != nil {
		return err
	}
	return nil
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	header := make([]byte, 5)
	if _, err := io.ReadFull(r, header); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(header[1:])
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("attach frame of %d bytes", n)
	}
	payload := make([]byte, n)
	_, err := io.ReadFull(r, payload)
	return header[0], payload, err
}

// attachServer is the shim's side: it fans the container's output out to
// the attached clients and feeds their input to the container.
type attachServer struct {
	// stdin is the container's input (nil without stdin: true); with
	// stdinOnce it is closed when the first client that wrote detaches.
	stdin     io.WriteCloser
	stdinOnce bool
	// resize sets the terminal's size (nil without tty).
	resize func(width, height uint16)

	mu       sync.Mutex
	clients  map[*attachClient]bool
	closedIn bool
	listener net.Listener
}

type attachClient struct {
	conn           net.Conn
	stdout, stderr bool
	mu             sync.Mutex
}

func (s *attachServer) listen(id string) error {
	l, err := net.Listen("unix", attachAddress(id))
	if err != nil {
		return err
	}
	s.listener = l
	s.clients = map[*attachClient]bool{}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return nil
}

// peerIsRoot says whether the connecting process runs as root.
func peerIsRoot(conn net.Conn) bool {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	var cred *unix.Ucred
	_ = raw.Control(func(fd uintptr) { cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) })
	return err == nil && cred != nil && cred.Uid == 0
}

func (s *attachServer) serve(conn net.Conn) {
	defer conn.Close()
	if !peerIsRoot(conn) {
		return
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return
	}
	var req attachRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return
	}
	c := &attachClient{conn: conn, stdout: req.Stdout, stderr: req.Stderr}
	s.mu.Lock()
	s.clients[c] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}()
	for {
		kind, payload, err := readFrame(br)
		if err != nil {
			break
		}
		switch kind {
		case frameStdin:
			s.write(payload)
		case frameStdinClosed:
			if req.Stdin {
				s.stdinDone()
			}
		case frameResize:
			if s.resize != nil && len(payload) == 4 {
				s.resize(binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:]))
			}
		}
	}
	if req.Stdin {
		s.stdinDone()
	}
}

// write feeds the container's input, unless it was closed.
func (s *attachServer) write(p []byte) {
	s.mu.Lock()
	in, closed := s.stdin, s.closedIn
	s.mu.Unlock()
	if in != nil && !closed && len(p) > 0 {
		_, _ = in.Write(p)
	}
}

// stdinDone ends the container's input if it takes stdin once: a pipe is
// closed (the container reads its end); a terminal takes no more input.
func (s *attachServer) stdinDone() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stdinOnce && s.stdin != nil && !s.closedIn {
		s.closedIn = true
		_ = s.stdin.Close()
	}
}

// output is the container's output on one stream, as it comes.
func (s *attachServer) output(kind byte, p []byte) {
	s.mu.Lock()
	clients := make([]*attachClient, 0, len(s.clients))
	for c := range s.clients {
		if kind == frameStdout && c.stdout || kind == frameStderr && c.stderr {
			clients = append(clients, c)
		}
	}
	s.mu.Unlock()
	for _, c := range clients {
		c.mu.Lock()
		if err := writeFrame(c.conn, kind, p); err != nil {
			c.conn.Close()
		}
		c.mu.Unlock()
	}
}

// close ends every attachment: the container has ended.
func (s *attachServer) close() {
	if s.listener != nil {
		s.listener.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		c.conn.Close()
	}
}

// Attach connects the streams to the running container's stdio through its
// shim until the container ends or ctx does: stdin (nil for none) to its
// input, its output to stdout and stderr (nil for none; with a terminal
// all output is stdout), resize to its terminal.
func (r *Runc) Attach(ctx context.Context, id string, stdin io.Reader, stdout, stderr io.Writer, resize <-chan TerminalSize) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", attachAddress(id))
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("container %s is not running, or was started by a kubelet without attach", id)
		}
		return err
	}
	defer conn.Close()
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	req, _ := json.Marshal(attachRequest{Stdin: stdin != nil, Stdout: stdout != nil, Stderr: stderr != nil})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return err
	}
	var wmu sync.Mutex
	send := func(kind byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return writeFrame(conn, kind, p)
	}
	if stdin != nil {
		go func() {
			buf := make([]byte, 32*1024)
			for {
				n, err := stdin.Read(buf)
				if n > 0 && send(frameStdin, buf[:n]) != nil {
					return
				}
				if err != nil {
					_ = send(frameStdinClosed, nil)
					return
				}
			}
		}()
	}
	if resize != nil {
		go func() {
			for size := range resize {
				p := make([]byte, 4)
				binary.BigEndian.PutUint16(p, size.Width)
				binary.BigEndian.PutUint16(p[2:], size.Height)
				if send(frameResize, p) != nil {
					return
				}
			}
		}()
	}
	br := bufio.NewReader(conn)
	for {
		kind, payload, err := readFrame(br)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil // the container ended, or the client left
			}
			return err
		}
		var w io.Writer
		switch kind {
		case frameStdout:
			w = stdout
		case frameStderr:
			w = stderr
		}
		if w != nil {
			if _, err := w.Write(payload); err != nil {
				return nil // the client is gone
			}
		}
	}
}
