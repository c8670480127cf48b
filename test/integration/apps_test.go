package integration

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

func selector(app string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
}

func TestDeploymentDefaultsScaleAndGeneration(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	deployments := shared.Client.AppsV1().Deployments(ns)
	d, err := deployments.Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       appsv1.DeploymentSpec{Selector: selector("web"), Template: *podTemplate(map[string]string{"app": "web"})},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ru := d.Spec.Strategy.RollingUpdate
	if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType ||
		ru.MaxSurge.String() != "25%" || ru.MaxUnavailable.String() != "25%" || *d.Spec.RevisionHistoryLimit != 10 ||
		*d.Spec.ProgressDeadlineSeconds != 600 || d.Spec.Template.Spec.SchedulerName != "default-scheduler" || d.Generation != 1 {
		t.Fatalf("deployment defaults: %+v", d.Spec)
	}

	// The deployment controller writes status all along: every read-modify-
	// write below retries on conflicts, which are not what is tested.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		scale, err := deployments.GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		scale.Spec.Replicas = 3
		_, err = deployments.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	d, _ = deployments.Get(ctx, "web", metav1.GetOptions{})
	if *d.Spec.Replicas != 3 || d.Generation != 2 {
		t.Fatalf("after scale: %d replicas, generation %d", *d.Spec.Replicas, d.Generation)
	}
	update := func(mutate func(*appsv1.Deployment)) (*appsv1.Deployment, error) {
		var updated *appsv1.Deployment
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			latest, err := deployments.Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return err
			}
			mutate(latest)
			updated, err = deployments.Update(ctx, latest, metav1.UpdateOptions{})
			return err
		})
		return updated, err
	}
	// Labels alone do not change the generation; the selector cannot change.
	if d, err = update(func(d *appsv1.Deployment) { d.Labels = map[string]string{"team": "a"} }); err != nil || d.Generation != 2 {
		t.Fatalf("label update: %v, generation %v", err, d)
	}
	_, err = update(func(d *appsv1.Deployment) {
		d.Spec.Selector = selector("other")
		d.Spec.Template.Labels = map[string]string{"app": "other"}
	})
	assertInvalid(t, err, "spec.selector")
}

func TestAppsValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	_, err := shared.Client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: appsv1.DeploymentSpec{
			Selector: selector("web"), Template: *podTemplate(map[string]string{"app": "other"}),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxSurge: ptr.To(intstr.FromInt32(0)), MaxUnavailable: ptr.To(intstr.FromInt32(0))}},
		},
	}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.template.metadata.labels")
	assertInvalid(t, err, "spec.strategy.rollingUpdate.maxUnavailable")

	if _, err := shared.Client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend"},
		Spec:       appsv1.ReplicaSetSpec{Selector: selector("frontend"), Template: *podTemplate(map[string]string{"app": "frontend"})},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	list, err := shared.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{FieldSelector: "status.replicas=0"})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("field selector status.replicas=0: %v, %d replica sets", err, len(list.Items))
	}

	_, err = shared.Client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "noselector"},
		Spec:       appsv1.ReplicaSetSpec{Template: *podTemplate(map[string]string{"app": "x"})},
	}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.selector")

	ds, err := shared.Client.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec:       appsv1.DaemonSetSpec{Selector: selector("agent"), Template: *podTemplate(map[string]string{"app": "agent"})},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.IntValue() != 1 || *ds.Spec.RevisionHistoryLimit != 10 {
		t.Fatalf("daemonset defaults: %+v", ds.Spec.UpdateStrategy)
	}

	rev, err := shared.Client.AppsV1().ControllerRevisions(ns).Create(ctx, &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-1"}, Revision: 1,
		Data: runtime.RawExtension{Raw: []byte(`{"spec":{}}`)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rev.Data = runtime.RawExtension{Raw: []byte(`{"spec":{"x":1}}`)}
	_, err = shared.Client.AppsV1().ControllerRevisions(ns).Update(ctx, rev, metav1.UpdateOptions{})
	assertInvalid(t, err, "data")
}
