// Package apps holds the scheme registration, defaulting and validation of
// apps/v1: deployments, replica sets, daemon sets and controller revisions.
package apps

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kybernetes/kybernetes/apis/fieldlabels"
	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers apps/v1 as external and hub version, with defaults.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, appsv1.SchemeGroupVersion, appsv1.AddToScheme, &appsv1.Deployment{}); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&appsv1.Deployment{}, func(obj interface{}) { SetDefaultsDeployment(obj.(*appsv1.Deployment)) })
	scheme.AddTypeDefaultingFunc(&appsv1.ReplicaSet{}, func(obj interface{}) { SetDefaultsReplicaSet(obj.(*appsv1.ReplicaSet)) })
	scheme.AddTypeDefaultingFunc(&appsv1.DaemonSet{}, func(obj interface{}) { SetDefaultsDaemonSet(obj.(*appsv1.DaemonSet)) })
	scheme.AddTypeDefaultingFunc(&appsv1.StatefulSet{}, func(obj interface{}) { SetDefaultsStatefulSet(obj.(*appsv1.StatefulSet)) })
	return fieldlabels.Register(scheme, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"), ReplicaSetFields)
}

// ReplicaSetFields are a replica set's selectable fields beyond its name
// and namespace.
func ReplicaSetFields(rs *appsv1.ReplicaSet) fields.Set {
	return fields.Set{"status.replicas": strconv.Itoa(int(rs.Status.Replicas))}
}
