package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// runControllers starts a controller manager against server until the
// test ends.
func runControllers(t *testing.T, server *framework.Server, opts manager.Options) {
	framework.RunComponent(t, "the controller manager", func(ctx context.Context) error { return manager.Run(ctx, server.Config, opts) })
}

// simpleConfigMapOwnedBy is a configmap naming a replica set as its owner.
func simpleConfigMapOwnedBy(name, owner, ownerUID string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: []metav1.OwnerReference{{
		APIVersion: "apps/v1", Kind: "ReplicaSet", Name: owner, UID: types.UID(ownerUID)}}}}
}

// updateLatest reads the named object, changes it and writes it back,
// reading again when a controller's write came in between (a conflict):
// a test's spec change must not race the status a controller records.
func updateLatest[T any](ctx context.Context, name string,
	get func(context.Context, string, metav1.GetOptions) (T, error),
	update func(context.Context, T, metav1.UpdateOptions) (T, error),
	change func(T)) (T, error) {
	var updated T
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		latest, err := get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(latest)
		updated, err = update(ctx, latest, metav1.UpdateOptions{})
		return err
	})
	return updated, err
}
