package runtime

import (
	"errors"
	"os"
	"path/filepath"
)

// DefaultCgroupParent is where pods' cgroups live unless --cgroup-root
// says otherwise, in every hierarchy: <hierarchy>/kybernetes/pod<uid>/<container>.
const DefaultCgroupParent = "/kybernetes"

// CgroupParent is the parent of this kubelet's pods' cgroups: set once,
// from --cgroup-root, before any pod starts (the nodes of `kybernetes up`
// each have their own under /kybernetes).
var CgroupParent = DefaultCgroupParent

// PodCgroup is the cgroups path (relative to each hierarchy) of a pod's
// container.
func PodCgroup(podUID, container string) string {
	return filepath.Join(CgroupParent, "pod"+podUID, container)
}

// RemovePodCgroups removes a pod's cgroup directories once runc has
// removed its containers' own: runc leaves the parents it created. On
// cgroup v1 there is one per hierarchy (cpu, memory, ...), on v2 one.
func RemovePodCgroups(podUID string) error {
	return RemovePodCgroupsUnder(CgroupParent, podUID)
}

// RemovePodCgroupsUnder is RemovePodCgroups for the pods of another parent
// (a node that `kybernetes down` resets).
func RemovePodCgroupsUnder(parent, podUID string) error {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", parent, "pod"+podUID))
	dirs = append(dirs, filepath.Join("/sys/fs/cgroup", parent, "pod"+podUID))
	var errs []error
	for _, dir := range dirs {
		// A cgroup is removed with rmdir; its control files go with it.
		children, _ := filepath.Glob(filepath.Join(dir, "*", "cgroup.procs"))
		for _, child := range children {
			if err := os.Remove(filepath.Dir(child)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
