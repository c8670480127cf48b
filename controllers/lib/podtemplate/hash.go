// Package podtemplate names pod templates by a hash of their content, as
// upstream's controllers do for the pod-template-hash of a Deployment's
// ReplicaSets and the controller-revision-hash of DaemonSet pods.
package podtemplate

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/dump"
	"k8s.io/apimachinery/pkg/util/rand"
)

// Hash is a short, stable name for the template's content. It follows
// pointers (dump.ForHash prints values, never addresses), so the same
// template hashes the same in every process. A collision count, when set,
// is mixed in to move away from a name that is taken.
func Hash(t *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	fmt.Fprint(h, dump.ForHash(*t))
	if collisionCount != nil {
		var buf [4]byte
		binary.LittleEndian.PutUint32(buf[:], uint32(*collisionCount))
		h.Write(buf[:])
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}
