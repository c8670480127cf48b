package core

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Probes and lifecycle hooks, with upstream's rules and messages.

var (
	httpSchemes = sets.New(corev1.URISchemeHTTP, corev1.URISchemeHTTPS)
)

// named is a field's value with its JSON name, to check fields in a fixed
// order (errors come out in the order of the object).
type named[T any] struct {
	name  string
	value T
}

// validateProbes checks a container's three probes; only sidecars (init
// containers that keep running) may have them among init containers.
func validateProbes(c *corev1.Container, isInit bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if isInit && (c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
		for _, p := range []named[*corev1.Probe]{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
			if name := p.name; p.value != nil {
				allErrs = append(allErrs, field.Forbidden(fldPath.Child(name), "may not be set for init containers without restartPolicy=Always"))
			}
		}
		return allErrs
	}
	for _, probe := range []named[*corev1.Probe]{{"livenessProbe", c.LivenessProbe}, {"startupProbe", c.StartupProbe}} {
		name, p := probe.name, probe.value
		if p == nil {
			continue
		}
		allErrs = append(allErrs, validateProbe(p, fldPath.Child(name))...)
		// Liveness and startup are pass/fail: one success is enough.
		if p.SuccessThreshold != 1 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child(name, "successThreshold"), p.SuccessThreshold, "must be 1"))
		}
	}
	if p := c.ReadinessProbe; p != nil {
		allErrs = append(allErrs, validateProbe(p, fldPath.Child("readinessProbe"))...)
		if p.TerminationGracePeriodSeconds != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("readinessProbe", "terminationGracePeriodSeconds"), *p.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
		}
	}
	return allErrs
}

func validateProbe(p *corev1.Probe, fldPath *field.Path) field.ErrorList {
	allErrs := validateHandler(p.Exec, p.HTTPGet, p.TCPSocket, p.GRPC, nil, fldPath)
	for _, v := range []named[int32]{
		{"initialDelaySeconds", p.InitialDelaySeconds}, {"timeoutSeconds", p.TimeoutSeconds}, {"periodSeconds", p.PeriodSeconds},
		{"successThreshold", p.SuccessThreshold}, {"failureThreshold", p.FailureThreshold},
	} {
		if v.value < 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child(v.name), v.value, "must be greater than or equal to 0"))
		}
	}
	if g := p.TerminationGracePeriodSeconds; g != nil && *g <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), *g, "must be greater than 0"))
	}
	return allErrs
}

func validateLifecycle(l *corev1.Lifecycle, fldPath *field.Path) field.ErrorList {
	if l == nil {
		return nil
	}
	var allErrs field.ErrorList
	for _, h := range []named[*corev1.LifecycleHandler]{{"postStart", l.PostStart}, {"preStop", l.PreStop}} {
		if h.value != nil {
			allErrs = append(allErrs, validateHandler(h.value.Exec, h.value.HTTPGet, h.value.TCPSocket, nil, h.value.Sleep, fldPath.Child(h.name))...)
		}
	}
	return allErrs
}

// validateHandler: exactly one action, each well formed.
func validateHandler(exec *corev1.ExecAction, httpGet *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction, grpc *corev1.GRPCAction, sleep *corev1.SleepAction, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	handlers := 0
	one := func(set bool, name string, check func() field.ErrorList) {
		if !set {
			return
		}
		if handlers > 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(name), "may not specify more than 1 handler type"))
			return
		}
		handlers++
		allErrs = append(allErrs, check()...)
	}
	one(exec != nil, "exec", func() field.ErrorList {
		if len(exec.Command) == 0 {
			return field.ErrorList{field.Required(fldPath.Child("exec", "command"), "")}
		}
		return nil
	})
	one(httpGet != nil, "httpGet", func() field.ErrorList {
		path := fldPath.Child("httpGet")
		var errs field.ErrorList
		if httpGet.Path == "" {
			errs = append(errs, field.Required(path.Child("path"), ""))
		}
		errs = append(errs, validatePortNumOrName(httpGet.Port, path.Child("port"))...)
		if !httpSchemes.Has(httpGet.Scheme) {
			errs = append(errs, field.NotSupported(path.Child("scheme"), httpGet.Scheme, sets.List(httpSchemes)))
		}
		for _, h := range httpGet.HTTPHeaders {
			for _, msg := range validation.IsHTTPHeaderName(h.Name) {
				errs = append(errs, field.Invalid(path.Child("httpHeaders"), h.Name, msg))
			}
		}
		return errs
	})
	one(tcp != nil, "tcpSocket", func() field.ErrorList {
		return validatePortNumOrName(tcp.Port, fldPath.Child("tcpSocket", "port"))
	})
	one(grpc != nil, "grpc", func() field.ErrorList {
		return validatePortNumOrName(intstr.FromInt32(grpc.Port), fldPath.Child("grpc", "port"))
	})
	one(sleep != nil, "sleep", func() field.ErrorList {
		if sleep.Seconds < 0 {
			return field.ErrorList{field.Invalid(fldPath.Child("sleep", "seconds"), sleep.Seconds, "must be non-negative")}
		}
		return nil
	})
	if handlers == 0 {
		allErrs = append(allErrs, field.Required(fldPath, "must specify a handler type"))
	}
	return allErrs
}
