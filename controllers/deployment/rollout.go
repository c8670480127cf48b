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

	"github.com/kybernetes/kybernetes/controllers/lib/podtemplate"
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
func templateHash(t *corev1.PodTemplateSpec, collisionCount *int32) string {
	t = t.DeepCopy()
	delete(t.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return podtemplate.Hash(t, collisionCount)
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

// pausedScalePlan follows a paused deployment's replica count without
// rolling out: the one active set (or, with none active, the newest) takes
// the new size; several active sets share the change in proportion to
// their sizes within maxSurge, the remainder going to the largest, as
// upstream's proportional scaling.
func pausedScalePlan(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) map[string]int32 {
	desired := ptr.Deref(d.Spec.Replicas, 1)
	plan := map[string]int32{}
	var active []*appsv1.ReplicaSet
	for _, rs := range append([]*appsv1.ReplicaSet{newRS}, old...) {
		if rs != nil && replicas(rs) > 0 {
			active = append(active, rs)
		}
	}
	switch len(active) {
	case 0:
		latest := newRS
		for _, rs := range old {
			if latest == nil || revision(rs) > revision(latest) {
				latest = rs
			}
		}
		if latest != nil {
			plan[latest.Name] = desired
		}
		return plan
	case 1:
		plan[active[0].Name] = desired
		return plan
	}
	// Several active sets (a rollout paused half way): they change only
	// when the deployment's size did, which the sets' desired-replicas
	// annotation tells.
	resized := false
	for _, rs := range active {
		if n, err := strconv.Atoi(rs.Annotations[DesiredReplicasAnnotation]); err == nil && int32(n) != desired {
			resized = true
		}
	}
	if !resized {
		return plan
	}
	allowed := int32(0)
	if desired > 0 {
		surge, _ := surgeAndUnavailable(d)
		allowed = desired + surge
	}
	current := int32(0)
	for _, rs := range active {
		current += replicas(rs)
	}
	change := allowed - current
	if change == 0 {
		return plan
	}
	// Largest first (newest on a tie): it takes what rounding leaves.
	sort.SliceStable(active, func(i, j int) bool {
		if replicas(active[i]) != replicas(active[j]) {
			return replicas(active[i]) > replicas(active[j])
		}
		return revision(active[i]) > revision(active[j])
	})
	given := int32(0)
	for _, rs := range active {
		share := int32(int64(change) * int64(replicas(rs)) / int64(current))
		plan[rs.Name] = replicas(rs) + share
		given += share
	}
	plan[active[0].Name] = max(plan[active[0].Name]+change-given, 0)
	return plan
}
