// Package networking holds the scheme registration and validation of
// networking.k8s.io/v1 ingresses and ingress classes.
package networking

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers networking.k8s.io/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, networkingv1.SchemeGroupVersion, networkingv1.AddToScheme, &networkingv1.Ingress{}); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&networkingv1.IngressClass{}, func(obj interface{}) {
		ic := obj.(*networkingv1.IngressClass)
		if p := ic.Spec.Parameters; p != nil && p.Scope == nil {
			scope := networkingv1.IngressClassParametersReferenceScopeCluster
			p.Scope = &scope
		}
	})
	return nil
}

var (
	metadataPath = field.NewPath("metadata")
	specPath     = field.NewPath("spec")
	pathTypes    = sets.New(networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific)
)

// ValidateIngress checks rules, paths, backends and TLS hosts.
func ValidateIngress(ing *networkingv1.Ingress) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ing.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateIngressSpec(&ing.Spec)...)
}

func validateIngressSpec(spec *networkingv1.IngressSpec) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		allErrs = append(allErrs, field.Invalid(specPath.Child("rules"), spec.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	if spec.DefaultBackend != nil {
		allErrs = append(allErrs, validateBackend(spec.DefaultBackend, specPath.Child("defaultBackend"))...)
	}
	if c := spec.IngressClassName; c != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*c) {
			allErrs = append(allErrs, field.Invalid(specPath.Child("ingressClassName"), *c, msg))
		}
	}
	for i, rule := range spec.Rules {
		idx := specPath.Child("rules").Index(i)
		if rule.Host != "" {
			allErrs = append(allErrs, validateHost(rule.Host, idx.Child("host"))...)
		}
		if rule.HTTP == nil {
			continue
		}
		if len(rule.HTTP.Paths) == 0 {
			allErrs = append(allErrs, field.Required(idx.Child("http", "paths"), ""))
		}
		for j, p := range rule.HTTP.Paths {
			pathIdx := idx.Child("http", "paths").Index(j)
			switch {
			case p.PathType == nil:
				allErrs = append(allErrs, field.Required(pathIdx.Child("pathType"), "pathType must be specified"))
			case !pathTypes.Has(*p.PathType):
				allErrs = append(allErrs, field.NotSupported(pathIdx.Child("pathType"), *p.PathType, sets.List(pathTypes)))
			case *p.PathType != networkingv1.PathTypeImplementationSpecific && !strings.HasPrefix(p.Path, "/"):
				allErrs = append(allErrs, field.Invalid(pathIdx.Child("path"), p.Path, "must be an absolute path"))
			}
			allErrs = append(allErrs, validateBackend(&p.Backend, pathIdx.Child("backend"))...)
		}
	}
	for i, tls := range spec.TLS {
		for j, host := range tls.Hosts {
			allErrs = append(allErrs, validateHost(host, specPath.Child("tls").Index(i).Child("hosts").Index(j))...)
		}
	}
	return allErrs
}

// validateHost accepts a DNS subdomain, or one with a leading "*." wildcard.
func validateHost(host string, fldPath *field.Path) field.ErrorList {
	var msgs []string
	if strings.HasPrefix(host, "*.") {
		msgs = validation.IsWildcardDNS1123Subdomain(host)
	} else {
		msgs = validation.IsDNS1123Subdomain(host)
	}
	var allErrs field.ErrorList
	for _, msg := range msgs {
		allErrs = append(allErrs, field.Invalid(fldPath, host, msg))
	}
	return allErrs
}

// validateBackend wants exactly one of service and resource, and a service
// port by name or by number.
func validateBackend(b *networkingv1.IngressBackend, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case b.Service != nil && b.Resource != nil:
		allErrs = append(allErrs, field.Invalid(fldPath, "", "cannot set both resource and service backends"))
	case b.Service == nil && b.Resource == nil:
		allErrs = append(allErrs, field.Invalid(fldPath, "", "resource or service backend is required"))
	case b.Service != nil:
		svc := b.Service
		if svc.Name == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child("service", "name"), ""))
		} else {
			for _, msg := range validation.IsDNS1035Label(svc.Name) {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("service", "name"), svc.Name, msg))
			}
		}
		portPath := fldPath.Child("service", "port")
		switch {
		case svc.Port.Name != "" && svc.Port.Number != 0:
			allErrs = append(allErrs, field.Invalid(portPath, svc.Port, "cannot set both port name & port number"))
		case svc.Port.Name != "":
			for _, msg := range validation.IsValidPortName(svc.Port.Name) {
				allErrs = append(allErrs, field.Invalid(portPath.Child("name"), svc.Port.Name, msg))
			}
		case svc.Port.Number != 0:
			for _, msg := range validation.IsValidPortNum(int(svc.Port.Number)) {
				allErrs = append(allErrs, field.Invalid(portPath.Child("number"), svc.Port.Number, msg))
			}
		default:
			allErrs = append(allErrs, field.Required(portPath, "port name or number is required"))
		}
	}
	return allErrs
}

// ValidateIngressUpdate checks an update of an ingress.
func ValidateIngressUpdate(ing, old *networkingv1.Ingress) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, validateIngressSpec(&ing.Spec)...)
}

// ValidateIngressStatusUpdate checks the load balancer addresses.
func ValidateIngressStatusUpdate(ing, old *networkingv1.Ingress) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta, metadataPath)
	for i, lb := range ing.Status.LoadBalancer.Ingress {
		if lb.Hostname != "" {
			allErrs = append(allErrs, validateHost(lb.Hostname, field.NewPath("status", "loadBalancer", "ingress").Index(i).Child("hostname"))...)
		}
	}
	return allErrs
}

// ValidateIngressClass checks the controller name and parameters.
func ValidateIngressClass(ic *networkingv1.IngressClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ic.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	controller := specPath.Child("controller")
	switch {
	case ic.Spec.Controller == "":
		allErrs = append(allErrs, field.Required(controller, ""))
	case len(ic.Spec.Controller) > 250:
		allErrs = append(allErrs, field.TooLong(controller, "", 250))
	default:
		allErrs = append(allErrs, validation.IsDomainPrefixedPath(controller, ic.Spec.Controller)...)
	}
	if p := ic.Spec.Parameters; p != nil {
		params := specPath.Child("parameters")
		if p.Kind == "" {
			allErrs = append(allErrs, field.Required(params.Child("kind"), ""))
		}
		if p.Name == "" {
			allErrs = append(allErrs, field.Required(params.Child("name"), ""))
		}
		if p.Scope != nil && *p.Scope == networkingv1.IngressClassParametersReferenceScopeNamespace && p.Namespace == nil {
			allErrs = append(allErrs, field.Required(params.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
		}
	}
	return allErrs
}

// ValidateIngressClassUpdate keeps the controller, as upstream.
func ValidateIngressClassUpdate(ic, old *networkingv1.IngressClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ic.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(ic.Spec.Controller, old.Spec.Controller, specPath.Child("controller"))...)
	return append(allErrs, ValidateIngressClass(ic)...)
}
