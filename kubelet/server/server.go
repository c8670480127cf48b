// Package server is the kubelet's HTTPS server, which the API server's pod
// subresources reach: /healthz, /pods, and /containerLogs (the CRI-format
// log files turned back into the container's output, with tail, since,
// timestamps, previous and follow). Clients must present a certificate of
// the cluster CA, as the API server's kubelet client certificate is.
package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/klog/v2"
)

// Server serves one kubelet's endpoints.
type Server struct {
	// Pods lists the node's pods (/pods).
	Pods func() ([]*corev1.Pod, error)
	// Pod finds one.
	Pod func(namespace, name string) (*corev1.Pod, error)
	// LogDir is a pod's log directory.
	LogDir func(*corev1.Pod) string
	// Healthy is /healthz's check.
	Healthy func() error
	// Exec runs commands in containers (/exec).
	Exec Executor
	// Attach connects to containers' own stdio (/attach).
	Attach Attacher
	// PortForward connects a stream to a port of a pod (/portForward).
	PortForward func(ctx context.Context, namespace, pod string, port int32, stream io.ReadWriteCloser) error
	// Stats feeds /stats/summary and /metrics/resource.
	Stats *StatsSource
}

// ListenAndServe serves on addr with a self-signed certificate for host
// (the API server does not verify it, as upstream without
// --kubelet-certificate-authority), requiring clients of clientCA.
func (s *Server) ListenAndServe(l net.Listener, host string, clientCA []byte) error {
	certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey(host, []net.IP{net.ParseIP(host)}, nil)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(clientCA) {
		return fmt.Errorf("no client CA certificates")
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}}
	return srv.ServeTLS(l, "", "")
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Healthy(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /pods", func(w http.ResponseWriter, r *http.Request) {
		pods, err := s.Pods()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		list := corev1.PodList{}
		list.Kind, list.APIVersion = "PodList", "v1"
		for _, p := range pods {
			list.Items = append(list.Items, *p)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&list)
	})
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", s.containerLogs)
	mux.HandleFunc("/exec/{namespace}/{pod}/{container}", s.exec)
	mux.HandleFunc("/exec/{namespace}/{pod}/{uid}/{container}", s.exec)
	mux.HandleFunc("/attach/{namespace}/{pod}/{container}", s.attach)
	mux.HandleFunc("/attach/{namespace}/{pod}/{uid}/{container}", s.attach)
	if s.Stats != nil {
		mux.HandleFunc("GET /stats/summary", s.Stats.summary)
		mux.HandleFunc("GET /metrics/resource", s.Stats.resourceMetrics)
	}
	mux.HandleFunc("/portForward/{namespace}/{pod}", s.portForward)
	mux.HandleFunc("/portForward/{namespace}/{pod}/{uid}", s.portForward)
	// Upstream's debugging handlers include Go's profiles; clients need a
	// certificate of the cluster CA, as for everything here.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request) {
	pod, err := s.Pod(r.PathValue("namespace"), r.PathValue("pod"))
	if err != nil {
		http.Error(w, fmt.Sprintf("pod %s/%s not found on this node", r.PathValue("namespace"), r.PathValue("pod")), http.StatusNotFound)
		return
	}
	container := r.PathValue("container")
	q := r.URL.Query()
	dir := filepath.Join(s.LogDir(pod), container)
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(files) == 0 {
		http.Error(w, fmt.Sprintf("container %q in pod %q is waiting to start", container, pod.Name), http.StatusBadRequest)
		return
	}
	attempts := make([]int, 0, len(files))
	for _, f := range files {
		n, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(f), ".log"))
		if err == nil {
			attempts = append(attempts, n)
		}
	}
	latest := 0
	for _, n := range attempts {
		latest = max(latest, n)
	}
	attempt := latest
	if q.Get("previous") == "true" {
		if latest == 0 {
			http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod.Name), http.StatusBadRequest)
			return
		}
		attempt = latest - 1
	}
	path := filepath.Join(dir, strconv.Itoa(attempt)+".log")
	opts := logOptions{timestamps: q.Get("timestamps") == "true", tail: -1, follow: q.Get("follow") == "true" && attempt == latest}
	if t := q.Get("tailLines"); t != "" {
		opts.tail, _ = strconv.Atoi(t)
	}
	if s := q.Get("sinceSeconds"); s != "" {
		n, _ := strconv.Atoi(s)
		opts.since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	if s := q.Get("sinceTime"); s != "" {
		opts.since, _ = time.Parse(time.RFC3339, s)
	}
	if b := q.Get("limitBytes"); b != "" {
		opts.limit, _ = strconv.ParseInt(b, 10, 64)
	}
	w.Header().Set("Content-Type", "text/plain")
	if err := writeLog(r, w, path, opts); err != nil {
		klog.V(2).InfoS("serving logs", "path", path, "err", err)
	}
}

type logOptions struct {
	timestamps bool
	follow     bool
	tail       int
	since      time.Time
	limit      int64
}

// writeLog writes the container's output from a CRI-format log file.
func writeLog(r *http.Request, w http.ResponseWriter, path string, opts logOptions) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var lines []string
	reader := bufio.NewReader(f)
	for {
		line, err := reader.ReadString('\n')
		if strings.HasSuffix(line, "\n") {
			lines = append(lines, line)
		}
		if err != nil {
			break
		}
	}
	if opts.tail >= 0 && len(lines) > opts.tail {
		lines = lines[len(lines)-opts.tail:]
	}
	var written int64
	emit := func(raw string) bool {
		ts, rest, ok := strings.Cut(raw, " ")
		if !ok {
			return true
		}
		when, err := time.Parse(time.RFC3339Nano, ts)
		if err == nil && !opts.since.IsZero() && when.Before(opts.since) {
			return true
		}
		_, rest, _ = strings.Cut(rest, " ") // stream
		tag, text, _ := strings.Cut(rest, " ")
		if tag == "P" {
			text = strings.TrimSuffix(text, "\n")
		}
		if opts.timestamps {
			text = ts + " " + text
		}
		if opts.limit > 0 && written+int64(len(text)) > opts.limit {
			_, _ = io.WriteString(w, text[:opts.limit-written])
			return false
		}
		written += int64(len(text))
		_, err = io.WriteString(w, text)
		return err == nil
	}
	for _, l := range lines {
		if !emit(l) {
			return nil
		}
	}
	if !opts.follow {
		return nil
	}
	flusher, _ := w.(http.Flusher)
	partial := ""
	for {
		if flusher != nil {
			flusher.Flush()
		}
		line, err := reader.ReadString('\n')
		partial += line
		if strings.HasSuffix(partial, "\n") {
			if !emit(partial) {
				return nil
			}
			partial = ""
			continue
		}
		if err != nil {
			select {
			case <-r.Context().Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}
