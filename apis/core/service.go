package core

import (
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// SetDefaultsService fills a service's type, affinity, port protocols and
// target ports, and the traffic policies, as upstream does on decode.
func SetDefaultsService(svc *corev1.Service) {
	spec := &svc.Spec
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	if spec.SessionAffinity == corev1.ServiceAffinityClientIP && spec.SessionAffinityConfig == nil {
		spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{
			TimeoutSeconds: ptr.To(corev1.DefaultClientIPServiceAffinitySeconds)}}
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == (intstr.IntOrString{}) {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if spec.Type != corev1.ServiceTypeExternalName && spec.InternalTrafficPolicy == nil {
		spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyCluster)
	}
	if (spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer) && spec.ExternalTrafficPolicy == "" {
		spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer && spec.AllocateLoadBalancerNodePorts == nil {
		spec.AllocateLoadBalancerNodePorts = ptr.To(true)
	}
}

var (
	serviceTypes = sets.New(corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName)
	affinities   = sets.New(corev1.ServiceAffinityNone, corev1.ServiceAffinityClientIP)
)

// ValidateService checks a service; nodePortRange is the range node ports
// must come from.
func ValidateService(svc *corev1.Service) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&svc.ObjectMeta, true, apimachineryvalidation.NameIsDNS1035Label, metadataPath)
	spec := &svc.Spec
	if !serviceTypes.Has(spec.Type) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("type"), spec.Type, sets.List(serviceTypes)))
	}
	if !affinities.Has(spec.SessionAffinity) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("sessionAffinity"), spec.SessionAffinity, sets.List(affinities)))
	}
	headless := spec.ClusterIP == corev1.ClusterIPNone
	switch {
	case spec.Type == corev1.ServiceTypeExternalName:
		if spec.ExternalName == "" {
			allErrs = append(allErrs, field.Required(specPath.Child("externalName"), ""))
		} else {
			for _, msg := range validation.IsDNS1123Subdomain(spec.ExternalName) {
				allErrs = append(allErrs, field.Invalid(specPath.Child("externalName"), spec.ExternalName, msg))
			}
		}
	case len(spec.Ports) == 0 && !headless:
		allErrs = append(allErrs, field.Required(specPath.Child("ports"), ""))
	}
	if headless && (spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer) {
		allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), spec.ClusterIP, fmt.Sprintf("may not be set to 'None' for %s services", spec.Type)))
	}
	if spec.ClusterIP != "" && !headless && net.ParseIP(spec.ClusterIP) == nil {
		allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), spec.ClusterIP, "must be empty, 'None', or a valid IP address"))
	}
	names := sets.New[string]()
	for i, p := range spec.Ports {
		idx := specPath.Child("ports").Index(i)
		switch {
		case p.Name == "" && len(spec.Ports) > 1:
			allErrs = append(allErrs, field.Required(idx.Child("name"), ""))
		case p.Name != "":
			for _, msg := range validation.IsDNS1123Label(p.Name) {
				allErrs = append(allErrs, field.Invalid(idx.Child("name"), p.Name, msg))
			}
			if names.Has(p.Name) {
				allErrs = append(allErrs, field.Duplicate(idx.Child("name"), p.Name))
			}
			names.Insert(p.Name)
		}
		for _, msg := range validation.IsValidPortNum(int(p.Port)) {
			allErrs = append(allErrs, field.Invalid(idx.Child("port"), p.Port, msg))
		}
		if !protocols.Has(p.Protocol) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("protocol"), p.Protocol, sets.List(protocols)))
		}
		allErrs = append(allErrs, validatePortNumOrName(p.TargetPort, idx.Child("targetPort"))...)
		if p.NodePort != 0 {
			if spec.Type != corev1.ServiceTypeNodePort && spec.Type != corev1.ServiceTypeLoadBalancer {
				allErrs = append(allErrs, field.Forbidden(idx.Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
			}
			for _, msg := range validation.IsValidPortNum(int(p.NodePort)) {
				allErrs = append(allErrs, field.Invalid(idx.Child("nodePort"), p.NodePort, msg))
			}
		}
	}
	allErrs = append(allErrs, unversionedvalidation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	for i, ip := range spec.ExternalIPs {
		if net.ParseIP(ip) == nil {
			allErrs = append(allErrs, field.Invalid(specPath.Child("externalIPs").Index(i), ip, "must be a valid IP address"))
		}
	}
	return allErrs
}

func validatePortNumOrName(port intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	var msgs []string
	if port.Type == intstr.String {
		msgs = validation.IsValidPortName(port.StrVal)
	} else {
		msgs = validation.IsValidPortNum(port.IntValue())
	}
	var allErrs field.ErrorList
	for _, msg := range msgs {
		allErrs = append(allErrs, field.Invalid(fldPath, port.String(), msg))
	}
	return allErrs
}

// ValidateServiceUpdate adds the immutability of an allocated cluster IP.
func ValidateServiceUpdate(svc, old *corev1.Service) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&svc.ObjectMeta, &old.ObjectMeta, metadataPath)
	externalName := svc.Spec.Type == corev1.ServiceTypeExternalName || old.Spec.Type == corev1.ServiceTypeExternalName
	if !externalName && old.Spec.ClusterIP != "" && svc.Spec.ClusterIP != old.Spec.ClusterIP {
		allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), svc.Spec.ClusterIP, "may not change once set"))
	}
	return append(allErrs, ValidateService(svc)...)
}

// ValidateServiceStatusUpdate checks a write to services/status.
func ValidateServiceStatusUpdate(svc, old *corev1.Service) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&svc.ObjectMeta, &old.ObjectMeta, metadataPath)
	for i, ing := range svc.Status.LoadBalancer.Ingress {
		path := field.NewPath("status", "loadBalancer", "ingress").Index(i)
		if ing.IP != "" && net.ParseIP(ing.IP) == nil {
			allErrs = append(allErrs, field.Invalid(path.Child("ip"), ing.IP, "must be a valid IP address"))
		}
		if ing.Hostname != "" {
			for _, msg := range validation.IsDNS1123Subdomain(ing.Hostname) {
				allErrs = append(allErrs, field.Invalid(path.Child("hostname"), ing.Hostname, msg))
			}
		}
	}
	return allErrs
}

// ValidateEndpoints checks endpoints: addresses are IPs, ports are valid.
func ValidateEndpoints(ep *corev1.Endpoints) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ep.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	for i, subset := range ep.Subsets {
		idx := field.NewPath("subsets").Index(i)
		for j, addr := range subset.Addresses {
			if net.ParseIP(addr.IP) == nil {
				allErrs = append(allErrs, field.Invalid(idx.Child("addresses").Index(j).Child("ip"), addr.IP, "must be a valid IP address"))
			}
		}
		for j, addr := range subset.NotReadyAddresses {
			if net.ParseIP(addr.IP) == nil {
				allErrs = append(allErrs, field.Invalid(idx.Child("notReadyAddresses").Index(j).Child("ip"), addr.IP, "must be a valid IP address"))
			}
		}
		for j, p := range subset.Ports {
			path := idx.Child("ports").Index(j)
			for _, msg := range validation.IsValidPortNum(int(p.Port)) {
				allErrs = append(allErrs, field.Invalid(path.Child("port"), p.Port, msg))
			}
			if !protocols.Has(p.Protocol) {
				allErrs = append(allErrs, field.NotSupported(path.Child("protocol"), p.Protocol, sets.List(protocols)))
			}
		}
	}
	return allErrs
}

// ValidateEndpointsUpdate checks an update of endpoints.
func ValidateEndpointsUpdate(ep, old *corev1.Endpoints) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ep.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, ValidateEndpoints(ep)...)
}

// SetDefaultsEndpoints gives endpoint ports the TCP protocol.
func SetDefaultsEndpoints(ep *corev1.Endpoints) {
	for i := range ep.Subsets {
		for j := range ep.Subsets[i].Ports {
			if ep.Subsets[i].Ports[j].Protocol == "" {
				ep.Subsets[i].Ports[j].Protocol = corev1.ProtocolTCP
			}
		}
	}
}
