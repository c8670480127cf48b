package integration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

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
