// Package health serves a component's /healthz, /livez and /readyz over
// HTTPS, as kube-controller-manager (port 10257) and kube-scheduler (10259)
// do.
package health

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"k8s.io/apiserver/pkg/server/healthz"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/klog/v2"
)

// Serve serves /healthz, /livez and /readyz over HTTPS on port until ctx
// ends, with a self-signed certificate made at start (upstream makes one
// too when given none). They are open to anyone, as upstream's default
// always-allowed paths.
func Serve(ctx context.Context, address string, port int, checks ...healthz.HealthChecker) error {
	certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey("localhost", []net.IP{net.ParseIP(address)}, nil)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("--secure-port: %w", err)
	}
	mux := http.NewServeMux()
	checks = append([]healthz.HealthChecker{healthz.PingHealthz}, checks...)
	healthz.InstallHandler(mux, checks...)
	healthz.InstallLivezHandler(mux, healthz.PingHealthz)
	healthz.InstallReadyzHandler(mux, checks...)
	server := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = server.Close()
	}()
	go func() {
		if err := server.ServeTLS(listener, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.ErrorS(err, "health server stopped")
		}
	}()
	klog.InfoS("serving health checks", "address", listener.Addr().String())
	return nil
}
