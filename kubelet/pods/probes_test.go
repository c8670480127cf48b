package pods

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestGRPCProbe asks a real gRPC health server on loopback.
func TestGRPCProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	healthServer := health.NewServer()
	healthpb.RegisterHealthServer(server, healthServer)
	go func() { _ = server.Serve(l) }()
	defer server.Stop()
	check := func(service string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return grpcCheck(ctx, l.Addr().String(), service)
	}

	if err := check(""); err != nil {
		t.Errorf("the server's overall health (SERVING by default): %v", err)
	}
	healthServer.SetServingStatus("db", healthpb.HealthCheckResponse_NOT_SERVING)
	if err := check("db"); err == nil || !strings.Contains(err.Error(), `service unhealthy (responded with "NOT_SERVING")`) {
		t.Errorf("a NOT_SERVING service: %v", err)
	}
	healthServer.SetServingStatus("db", healthpb.HealthCheckResponse_SERVING)
	if err := check("db"); err != nil {
		t.Errorf("a SERVING service: %v", err)
	}
	if err := check("unknown"); err == nil {
		t.Error("a service the server does not know passed")
	}
	server.Stop()
	if err := check(""); err == nil {
		t.Error("a stopped server passed")
	}
}
