// Package manager runs the kybernetes controllers against an API server, on
// one set of shared informers.
package manager

import (
	"context"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kybernetes/kybernetes/controllers/namespace"
)

// Run starts every controller and blocks until ctx is done.
func Run(ctx context.Context, config *rest.Config) error {
	config = rest.CopyConfig(config)
	config.UserAgent = "kybernetes-controller-manager"
	// client-go's default of 5 requests per second makes emptying a
	// namespace (two requests per resource type) take seconds.
	config.QPS, config.Burst = 100, 200
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 12*time.Hour)
	namespaces := namespace.New(client, dyn, factory.Core().V1().Namespaces())
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	namespaces.Run(ctx, 2)
	return nil
}
