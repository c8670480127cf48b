package integration

import (
	"context"
	"testing"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// runControllers starts a controller manager against server until the
// test ends.
func runControllers(t *testing.T, server *framework.Server, opts manager.Options) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = manager.Run(ctx, server.Config, opts)
	}()
	t.Cleanup(func() { cancel(); <-done })
}
