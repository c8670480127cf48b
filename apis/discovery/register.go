// Package discovery holds the scheme registration and validation of
// discovery.k8s.io/v1 endpoint slices.
package discovery

import (
	"net"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers discovery.k8s.io/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, discoveryv1.SchemeGroupVersion, discoveryv1.AddToScheme, &discoveryv1.EndpointSlice{}); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&discoveryv1.EndpointSlice{}, func(obj interface{}) {
		for i := range obj.(*discoveryv1.EndpointSlice).Ports {
			if p := &obj.(*discoveryv1.EndpointSlice).Ports[i]; p.Protocol == nil {
				tcp := corev1.ProtocolTCP
				p.Protocol = &tcp
			}
		}
	})
	return nil
}

// Upstream's limits on a slice.
const (
	maxEndpoints = 1000
	maxPorts     = 20000
)

var (
	addressTypes = sets.New(discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6, discoveryv1.AddressTypeFQDN)
	protocols    = sets.New(corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)
)

// ValidateEndpointSlice checks the address type, every address against it,
// and the ports.
func ValidateEndpointSlice(slice *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&slice.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if !addressTypes.Has(slice.AddressType) {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("addressType"), slice.AddressType, sets.List(addressTypes)))
	}
	endpointsPath := field.NewPath("endpoints")
	if len(slice.Endpoints) > maxEndpoints {
		allErrs = append(allErrs, field.TooMany(endpointsPath, len(slice.Endpoints), maxEndpoints))
	}
	for i, ep := range slice.Endpoints {
		idx := endpointsPath.Index(i)
		if len(ep.Addresses) == 0 {
			allErrs = append(allErrs, field.Required(idx.Child("addresses"), "must contain at least 1 address"))
		}
		for j, addr := range ep.Addresses {
			if msg := checkAddress(slice.AddressType, addr); msg != "" {
				allErrs = append(allErrs, field.Invalid(idx.Child("addresses").Index(j), addr, msg))
			}
		}
		if ep.Hostname != nil {
			for _, msg := range validation.IsDNS1123Label(*ep.Hostname) {
				allErrs = append(allErrs, field.Invalid(idx.Child("hostname"), *ep.Hostname, msg))
			}
		}
		if ep.NodeName != nil {
			for _, msg := range validation.IsDNS1123Subdomain(*ep.NodeName) {
				allErrs = append(allErrs, field.Invalid(idx.Child("nodeName"), *ep.NodeName, msg))
			}
		}
		allErrs = append(allErrs, unversionedvalidation.ValidateLabels(ep.DeprecatedTopology, idx.Child("deprecatedTopology"))...)
	}
	portsPath := field.NewPath("ports")
	if len(slice.Ports) > maxPorts {
		allErrs = append(allErrs, field.TooMany(portsPath, len(slice.Ports), maxPorts))
	}
	names := sets.New[string]()
	for i, p := range slice.Ports {
		idx := portsPath.Index(i)
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if name != "" {
			for _, msg := range validation.IsDNS1123Label(name) {
				allErrs = append(allErrs, field.Invalid(idx.Child("name"), name, msg))
			}
		}
		if names.Has(name) {
			allErrs = append(allErrs, field.Duplicate(idx.Child("name"), name))
		}
		names.Insert(name)
		if p.Protocol == nil {
			allErrs = append(allErrs, field.Required(idx.Child("protocol"), ""))
		} else if !protocols.Has(*p.Protocol) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("protocol"), *p.Protocol, sets.List(protocols)))
		}
		if p.Port != nil {
			for _, msg := range validation.IsValidPortNum(int(*p.Port)) {
				allErrs = append(allErrs, field.Invalid(idx.Child("port"), *p.Port, msg))
			}
		}
	}
	return allErrs
}

func checkAddress(t discoveryv1.AddressType, addr string) string {
	ip := net.ParseIP(addr)
	switch t {
	case discoveryv1.AddressTypeIPv4:
		if ip == nil || ip.To4() == nil {
			return "must be a valid IPv4 address"
		}
	case discoveryv1.AddressTypeIPv6:
		if ip == nil || ip.To4() != nil {
			return "must be a valid IPv6 address"
		}
	case discoveryv1.AddressTypeFQDN:
		if msgs := validation.IsFullyQualifiedDomainName(field.NewPath(""), addr); len(msgs) > 0 {
			return msgs[0].Detail
		}
	}
	return ""
}

// ValidateEndpointSliceUpdate keeps the address type, as upstream.
func ValidateEndpointSliceUpdate(slice, old *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&slice.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(slice.AddressType, old.AddressType, field.NewPath("addressType"))...)
	return append(allErrs, ValidateEndpointSlice(slice)...)
}
