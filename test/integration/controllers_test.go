package integration

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

func waitFor(t *testing.T, what string, condition func(ctx context.Context) bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true,
		func(ctx context.Context) (bool, error) { return condition(ctx), nil })
	if err != nil {
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestDefaultServiceAccount(t *testing.T) {
	ns := newNamespace(t)
	sas := shared.Client.CoreV1().ServiceAccounts(ns)
	waitFor(t, "the default service account", func(ctx context.Context) bool {
		_, err := sas.Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	if err := sas.Delete(context.Background(), "default", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the default service account to come back", func(ctx context.Context) bool {
		sa, err := sas.Get(ctx, "default", metav1.GetOptions{})
		return err == nil && sa.DeletionTimestamp == nil
	})
	for _, name := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem} {
		if _, err := shared.Client.CoreV1().ServiceAccounts(name).Get(context.Background(), "default", metav1.GetOptions{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Two controller managers: one holds the lease and runs the controllers;
// when it stops, the other takes over.
func TestControllerManagerLeaderElection(t *testing.T) {
	server := framework.Start(t, framework.Setup{WithoutControllers: true})
	opts := manager.DefaultOptions()
	opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = 2*time.Second, time.Second, 100*time.Millisecond
	cancels := map[string]context.CancelFunc{}
	for _, identity := range []string{"alpha", "beta"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[identity] = cancel
		o := opts
		o.Identity = identity
		go func() { _ = manager.Run(ctx, server.Config, o) }()
	}
	t.Cleanup(func() {
		for _, cancel := range cancels {
			cancel()
		}
	})
	leases := server.Client.CoordinationV1().Leases(metav1.NamespaceSystem)
	holder := func(ctx context.Context) string {
		lease, err := leases.Get(ctx, "kube-controller-manager", metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil {
			return ""
		}
		return *lease.Spec.HolderIdentity
	}
	var leader string
	waitFor(t, "a leader", func(ctx context.Context) bool { leader = holder(ctx); return leader != "" })

	// Only the leader's controllers run, and they do run: a new namespace
	// gets its default service account.
	if _, err := server.Client.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "elected"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the leader's service account controller", func(ctx context.Context) bool {
		_, err := server.Client.CoreV1().ServiceAccounts("elected").Get(ctx, "default", metav1.GetOptions{})
		return !apierrors.IsNotFound(err) && err == nil
	})

	cancels[leader]()
	other := map[string]string{"alpha": "beta", "beta": "alpha"}[leader]
	waitFor(t, "the other manager to take over", func(ctx context.Context) bool { return holder(ctx) == other })
}

// The controller manager serves its health over HTTPS on --secure-port,
// leader election included.
func TestControllerManagerHealthz(t *testing.T) {
	server := framework.Start(t, framework.Setup{WithoutControllers: true})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	_ = listener.Close()
	opts := manager.DefaultOptions()
	opts.SecurePort, opts.BindAddress = port, "127.0.0.1"
	runControllers(t, server, opts)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // self-signed, as upstream's
	var body string
	waitFor(t, "/healthz", func(ctx context.Context) bool {
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/healthz?verbose", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	})
	if !strings.Contains(body, "[+]leaderElection ok") || !strings.Contains(body, "healthz check passed") {
		t.Fatalf("/healthz?verbose:\n%s", body)
	}
}

// TestStandbyControllerManagerDoesNothing: while another process holds the
// lease, a controller manager runs no controller; it acts only once it has
// the lease. The namespace exists from the start, so a standby that ran its
// controllers would have made the namespace's default service account
// before it acquired the lease.
func TestStandbyControllerManagerDoesNothing(t *testing.T) {
	ctx := context.Background()
	server := framework.Start(t, framework.Setup{WithoutControllers: true, WithoutServiceAccounts: true})
	leases := server.Client.CoordinationV1().Leases(metav1.NamespaceSystem)
	now := metav1.NowMicro()
	if _, err := leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "kube-controller-manager"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("someone-else"), LeaseDurationSeconds: ptr.To[int32](3),
			AcquireTime: &now, RenewTime: &now}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "waiting"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	opts := manager.DefaultOptions()
	opts.Identity = "standby"
	opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = 3*time.Second, 2*time.Second, 100*time.Millisecond
	runControllers(t, server, opts)

	var acquired time.Time
	waitFor(t, "the standby to take the expired lease", func(ctx context.Context) bool {
		lease, err := leases.Get(ctx, "kube-controller-manager", metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != "standby" || lease.Spec.AcquireTime == nil {
			return false
		}
		acquired = lease.Spec.AcquireTime.Time
		return true
	})
	var sa *corev1.ServiceAccount
	waitFor(t, "the new leader's default service account", func(ctx context.Context) bool {
		var err error
		sa, err = server.Client.CoreV1().ServiceAccounts("waiting").Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	// creationTimestamp has whole seconds.
	if sa.CreationTimestamp.Time.Before(acquired.Truncate(time.Second)) {
		t.Fatalf("the service account was made at %s, before the manager took the lease at %s", sa.CreationTimestamp.Time, acquired)
	}
}
