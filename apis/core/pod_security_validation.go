package core

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Security contexts and sysctls, with upstream's rules and messages.

const sysctlMaxLength = 253

// sysctlName is one or more dot- or slash-separated segments of lower-case
// letters, digits, '-' and '_' (sysctl.d(5) allows '/' for '.').
var sysctlName = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)

var (
	seccompTypes   = sets.New(corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeUnconfined, corev1.SeccompProfileTypeLocalhost)
	appArmorTypes  = sets.New(corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeUnconfined, corev1.AppArmorProfileTypeLocalhost)
	procMountTypes = sets.New(corev1.DefaultProcMount, corev1.UnmaskedProcMount)
	fsGroupChange  = sets.New(corev1.FSGroupChangeOnRootMismatch, corev1.FSGroupChangeAlways)
)

func validatePodSecurityContext(sc *corev1.PodSecurityContext, spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	if sc == nil {
		return nil
	}
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateID(sc.RunAsUser, validation.IsValidUserID, fldPath.Child("runAsUser"))...)
	allErrs = append(allErrs, validateID(sc.RunAsGroup, validation.IsValidGroupID, fldPath.Child("runAsGroup"))...)
	allErrs = append(allErrs, validateID(sc.FSGroup, validation.IsValidGroupID, fldPath.Child("fsGroup"))...)
	for i, g := range sc.SupplementalGroups {
		for _, msg := range validation.IsValidGroupID(g) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("supplementalGroups").Index(i), g, msg))
		}
	}
	if p := sc.FSGroupChangePolicy; p != nil && !fsGroupChange.Has(*p) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("fsGroupChangePolicy"), *p, sets.List(fsGroupChange)))
	}
	allErrs = append(allErrs, validateSeccompProfile(sc.SeccompProfile, fldPath.Child("seccompProfile"))...)
	allErrs = append(allErrs, validateAppArmorProfile(sc.AppArmorProfile, fldPath.Child("appArmorProfile"))...)
	allErrs = append(allErrs, validateSysctls(sc.Sysctls, spec, fldPath.Child("sysctls"))...)
	return allErrs
}

// validateSysctls checks names and refuses namespaced sysctls of a
// namespace the pod shares with the host: they would change the node's.
// Which sysctls are safe is the kubelet's decision (it refuses the unsafe
// ones it was not told to allow).
func validateSysctls(sysctls []corev1.Sysctl, spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, s := range sysctls {
		name := fldPath.Index(i).Child("name")
		switch {
		case s.Name == "":
			allErrs = append(allErrs, field.Required(name, ""))
		case len(s.Name) > sysctlMaxLength || !sysctlName.MatchString(s.Name):
			allErrs = append(allErrs, field.Invalid(name, s.Name, fmt.Sprintf("must have at most %d characters and match regex %s", sysctlMaxLength, sysctlName)))
		case seen.Has(s.Name):
			allErrs = append(allErrs, field.Duplicate(name, s.Name))
		}
		seen.Insert(s.Name)
		normalized := strings.ReplaceAll(s.Name, "/", ".")
		switch {
		case spec.HostNetwork && sysctlNamespace(normalized) == "net":
			allErrs = append(allErrs, field.Invalid(name, s.Name, "may not be specified when 'hostNetwork' is true"))
		case spec.HostIPC && sysctlNamespace(normalized) == "ipc":
			allErrs = append(allErrs, field.Invalid(name, s.Name, "may not be specified when 'hostIPC' is true"))
		}
	}
	return allErrs
}

// sysctlNamespace names the Linux namespace a namespaced sysctl belongs to
// ("net", "ipc"), or "" for a node-wide one.
func sysctlNamespace(name string) string {
	switch {
	case strings.HasPrefix(name, "net."):
		return "net"
	case strings.HasPrefix(name, "fs.mqueue."), strings.HasPrefix(name, "kernel.shm"), strings.HasPrefix(name, "kernel.msg"),
		name == "kernel.sem":
		return "ipc"
	}
	return ""
}

func validateSecurityContext(sc *corev1.SecurityContext, fldPath *field.Path) field.ErrorList {
	if sc == nil {
		return nil
	}
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateID(sc.RunAsUser, validation.IsValidUserID, fldPath.Child("runAsUser"))...)
	allErrs = append(allErrs, validateID(sc.RunAsGroup, validation.IsValidGroupID, fldPath.Child("runAsGroup"))...)
	if p := sc.ProcMount; p != nil && !procMountTypes.Has(*p) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("procMount"), *p, sets.List(procMountTypes)))
	}
	allErrs = append(allErrs, validateSeccompProfile(sc.SeccompProfile, fldPath.Child("seccompProfile"))...)
	allErrs = append(allErrs, validateAppArmorProfile(sc.AppArmorProfile, fldPath.Child("appArmorProfile"))...)
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		if sc.Privileged != nil && *sc.Privileged {
			allErrs = append(allErrs, field.Invalid(fldPath, sc, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
		}
		if sc.Capabilities != nil {
			for _, c := range sc.Capabilities.Add {
				if c == "CAP_SYS_ADMIN" {
					allErrs = append(allErrs, field.Invalid(fldPath, sc, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
				}
			}
		}
	}
	return allErrs
}

func validateID(id *int64, check func(int64) []string, fldPath *field.Path) field.ErrorList {
	if id == nil {
		return nil
	}
	var allErrs field.ErrorList
	for _, msg := range check(*id) {
		allErrs = append(allErrs, field.Invalid(fldPath, *id, msg))
	}
	return allErrs
}

func validateSeccompProfile(p *corev1.SeccompProfile, fldPath *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	return validateLocalhostProfile(string(p.Type), seccompTypes.Has(p.Type), sets.List(seccompTypes), p.Type == corev1.SeccompProfileTypeLocalhost, p.LocalhostProfile, fldPath)
}

func validateAppArmorProfile(p *corev1.AppArmorProfile, fldPath *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	return validateLocalhostProfile(string(p.Type), appArmorTypes.Has(p.Type), sets.List(appArmorTypes), p.Type == corev1.AppArmorProfileTypeLocalhost, p.LocalhostProfile, fldPath)
}

// validateLocalhostProfile: a known type, and a localhostProfile exactly
// when the type is Localhost.
func validateLocalhostProfile[T ~string](typ string, known bool, types []T, localhost bool, profile *string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case typ == "":
		allErrs = append(allErrs, field.Required(fldPath.Child("type"), ""))
	case !known:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), typ, types))
	}
	switch {
	case localhost && (profile == nil || *profile == ""):
		allErrs = append(allErrs, field.Required(fldPath.Child("localhostProfile"), "must be set when profile type is \"Localhost\""))
	case !localhost && profile != nil:
		allErrs = append(allErrs, field.Invalid(fldPath.Child("localhostProfile"), *profile, "can only be set when profile type is \"Localhost\""))
	}
	return allErrs
}
