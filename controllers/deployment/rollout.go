package deployment

import (
	"cmp"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/podtemplate"
)

// Annotations upstream's deployment controller keeps on replica sets, which
// `kubectl rollout history/undo` read.
const (
	RevisionAnnotation        = "deployment.kubernetes.io/revision"
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	MaxReplicasAnnotation     = "deployment.kubernetes.io/max-replicas"
)

// templateHash is the pod-template-hash of a template: a stable hash of it
// without the hash label, encoded as upstream encodes it.
func templateHash(t *corev1.PodTemplateSpec) string {
	t = t.DeepCopy()
	delete(t.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return podtemplate.Hash(t, nil)
}

// sameTemplate compares templates ignoring the hash label.
func sameTemplate(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return apiequality.Semantic.DeepEqual(a, b)
}

func revision(rs *appsv1.ReplicaSet) int64 {
	n, _ := strconv.ParseInt(rs.Annotations[RevisionAnnotation], 10, 64)
	return n
}

func replicas(rs *appsv1.ReplicaSet) int32 { return ptr.Deref(rs.Spec.Replicas, 0) }

// availableOf is the set's available pods, never more than its replicas.
func availableOf(rs *appsv1.ReplicaSet) int32 { return min(rs.Status.AvailableReplicas, replicas(rs)) }

// surgeAndUnavailable resolves maxSurge (rounded up) and maxUnavailable
// (rounded down) against the desired replicas; both 0 would block a
// rollout, so unavailable becomes 1 then, as upstream.
func surgeAndUnavailable(d *appsv1.Deployment) (int32, int32) {
	desired := ptr.Deref(d.Spec.Replicas, 1)
	ru := d.Spec.Strategy.RollingUpdate
	if ru == nil {
		return 0, 1
	}
	quarter := intstr.FromString("25%")
	surge, _ := intstr.GetScaledValueFromIntOrPercent(cmp.Or(ru.MaxSurge, &quarter), int(desired), true)
	unavailable, _ := intstr.GetScaledValueFromIntOrPercent(cmp.Or(ru.MaxUnavailable, &quarter), int(desired), false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return int32(surge), int32(min(unavailable, int(desired)))
}

// rollingUpdatePlan returns the new replica counts of one rolling-update
// step: scale the new set up within maxSurge, then the old sets down
// within maxUnavailable, unhealthy replicas first, oldest sets first.
func rollingUpdatePlan(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) map[string]int32 {
	plan := map[string]int32{}
	desired := ptr.Deref(d.Spec.Replicas, 1)
	surge, unavailable := surgeAndUnavailable(d)
	total := replicas(newRS)
	for _, rs := range old {
		total += replicas(rs)
	}
	newReplicas := replicas(newRS)
	if newReplicas < desired {
		up := min(desired+surge-total, desired-newReplicas)
		if up > 0 {
			newReplicas += up
			total += up
		}
	} else if newReplicas > desired {
		total -= newReplicas - desired
		newReplicas = desired
	}
	plan[newRS.Name] = newReplicas

	// Old sets shrink only as far as keeping desired-maxUnavailable pods
	// available allows, counting the new set's not yet available pods as
	// lost. Their unhealthy replicas go first (removing them costs no
	// availability), then available ones, oldest sets first.
	// A set's status lags its spec: one just scaled from 3 to 2 still
	// reports 3 available until its pod is gone. Counting more than a set's
	// replicas as available would let the old sets shrink too far.
	minAvailable := desired - unavailable
	newUnavailable := max(newReplicas-availableOf(newRS), 0)
	cleanup := total - minAvailable - newUnavailable
	available := availableOf(newRS)
	sorted := append([]*appsv1.ReplicaSet(nil), old...)
	sort.Slice(sorted, func(i, j int) bool { return revision(sorted[i]) < revision(sorted[j]) })
	for _, rs := range sorted {
		plan[rs.Name] = replicas(rs)
		available += availableOf(rs)
		unhealthy := replicas(rs) - availableOf(rs)
		down := min(unhealthy, max(cleanup, 0))
		plan[rs.Name] -= down
		cleanup -= down
	}
	scaleDown := available - minAvailable
	for _, rs := range sorted {
		down := min(plan[rs.Name], max(scaleDown, 0))
		plan[rs.Name] -= down
		scaleDown -= down
	}
	return plan
}
