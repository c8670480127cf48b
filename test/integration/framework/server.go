// Package framework starts a real kybernetes API server, with embedded etcd
// and the controllers, inside the test process on a free port.
package framework

import (
	"context"
	"net"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/controllers/serviceaccount"
	"github.com/kybernetes/kybernetes/registry"
)

// Server is a running kybernetes control plane.
type Server struct {
	// Config authenticates as the admin (system:masters).
	Config *rest.Config
	Client kubernetes.Interface
	// Options are the ones the server runs with; DataDir survives Stop.
	Options *registry.Options
	// EtcdEndpoints are where the server stores its objects, EtcdTLS the
	// client certificate that opens them.
	EtcdEndpoints []string
	EtcdTLS       transport.TLSInfo

	cancel context.CancelFunc
	done   chan error
}

// Setup tunes a start.
type Setup struct {
	// DataDir reuses a data directory (a restart); empty means a new one.
	DataDir string
	// TokenAuthFile is passed as --token-auth-file.
	TokenAuthFile string
	// WithoutControllers runs the API server without the controller
	// manager, as `kybernetes apiserver`, but for the service account
	// controller: ServiceAccount admission refuses pods until their
	// namespace has its default account. WithoutServiceAccounts leaves
	// that one out too.
	WithoutControllers     bool
	WithoutServiceAccounts bool
	// CompactionInterval overrides --etcd-compaction-interval.
	CompactionInterval time.Duration
	// Controllers overrides the controller manager's options.
	Controllers *manager.Options
	// MetricResolution overrides --metric-resolution (how often the
	// kubelets' resource metrics are read).
	MetricResolution time.Duration
	// Customize changes the server's options last, for flags no other
	// field covers.
	Customize func(*registry.Options)
}

// Start runs a server and stops it when the test ends.
func Start(t testing.TB, setup Setup) *Server {
	t.Helper()
	opts := registry.NewOptions()
	opts.DataDir = setup.DataDir
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	opts.SecureServing.BindAddress = net.IPv4(127, 0, 0, 1)
	opts.SecureServing.BindPort = 0
	opts.TokenAuthFile = setup.TokenAuthFile
	opts.ServiceRepairInterval = 300 * time.Millisecond
	if setup.MetricResolution > 0 {
		opts.MetricResolution = setup.MetricResolution
	}
	if setup.CompactionInterval > 0 {
		opts.Etcd.StorageConfig.CompactionInterval = setup.CompactionInterval
	}

	if setup.Customize != nil {
		setup.Customize(opts)
	}
	server, err := registry.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Options: opts, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- server.Run(ctx) }()
	select {
	case err := <-s.done:
		cancel()
		t.Fatalf("server stopped before it was ready: %v", err)
	case <-server.Ready():
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatal("server not ready within 2 minutes")
	}
	t.Cleanup(s.Stop)
	s.EtcdEndpoints, s.EtcdTLS = server.EtcdEndpoints, server.EtcdTLS

	s.Config, err = clientcmd.BuildConfigFromFlags("", opts.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	s.Config.QPS, s.Config.Burst = 1000, 1000
	s.Client = kubernetes.NewForConfigOrDie(s.Config)
	if setup.WithoutControllers {
		if !setup.WithoutServiceAccounts {
			// It lives and dies with the server (Stop ends it first), so
			// that its watches do not hold a stopping server up.
			factory := informers.NewSharedInformerFactory(s.Client, 0)
			c := serviceaccount.New(s.Client, factory.Core().V1().Namespaces(), factory.Core().V1().ServiceAccounts())
			factory.Start(ctx.Done())
			go c.Run(ctx, 1)
		}
	} else {
		// As kybernetes server runs them: each controller as its own
		// service account, so that every controller test also tests
		// that controller's role.
		controllers := manager.DefaultOptions()
		controllers.UseServiceAccountCredentials = true
		if setup.Controllers != nil {
			controllers = *setup.Controllers
		}
		if controllers.ServiceAccountPrivateKeyFile == "" {
			controllers.ServiceAccountPrivateKeyFile = opts.ServiceAccountKeyFile()
		}
		RunComponent(t, "the controller manager", func(ctx context.Context) error { return manager.Run(ctx, s.Config, controllers) })
	}
	return s
}

// Etcd is a client of the server's etcd, with its client certificate;
// closed when the test ends.
func (s *Server) Etcd(t testing.TB) *clientv3.Client {
	t.Helper()
	tlsConfig, err := s.EtcdTLS.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: s.EtcdEndpoints, TLS: tlsConfig, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// Stop shuts the server down and waits until etcd is closed. It is safe to
// call more than once.
func (s *Server) Stop() {
	s.cancel()
	if s.done == nil {
		return
	}
	select {
	case <-s.done:
	case <-time.After(time.Minute):
	}
	s.done = nil
}

// RunError starts a server with opts and returns the error Run ends with,
// for tests of start-up failures.
func RunError(t testing.TB, opts *registry.Options) error {
	t.Helper()
	server, err := registry.New(opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return server.Run(ctx)
}

// RunComponent runs a component (a controller manager, a scheduler) until
// the test ends. A component that stops before then, with an error or not,
// fails the test at once, with what it said: a test must not go on against
// a control plane that silently lost its controllers.
func RunComponent(t testing.TB, name string, run func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := run(ctx)
		if ctx.Err() == nil {
			t.Errorf("%s stopped before the test ended: %v", name, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}
