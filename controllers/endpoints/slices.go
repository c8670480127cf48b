package endpoints

import (
	"context"
	"fmt"
	"net"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/endpointslices"
)

// syncSlices writes the service's EndpointSlices: one group per address
// family of the service and per set of resolved ports, at most
// MaxEndpointsPerSlice endpoints a slice.
func (c *Controller) syncSlices(ctx context.Context, svc *corev1.Service, backends []Backend) error {
	client := c.client.DiscoveryV1().EndpointSlices(svc.Namespace)
	// Read from the API, not a cache: a slice this controller has just
	// made must be seen, or the next sync would make it again.
	selector := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: ManagedBy})
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return err
	}
	existing := make([]*discoveryv1.EndpointSlice, 0, len(list.Items))
	for i := range list.Items {
		existing = append(existing, &list.Items[i])
	}
	families := addressTypes(svc)
	plan := endpointslices.Reconcile(sliceMeta(svc, backends), existing, groups(svc, families, backends), c.MaxEndpointsPerSlice, families[0])
	for _, s := range plan.Delete {
		if err := client.Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &s.UID}}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	for _, s := range plan.Update {
		if _, err := client.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	for _, s := range plan.Create {
		if _, err := client.Create(ctx, s, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// addressTypes are the slice address types of the service's IP families,
// primary first.
func addressTypes(svc *corev1.Service) []discoveryv1.AddressType {
	var types []discoveryv1.AddressType
	for _, f := range svc.Spec.IPFamilies {
		if f == corev1.IPv6Protocol {
			types = append(types, discoveryv1.AddressTypeIPv6)
		} else {
			types = append(types, discoveryv1.AddressTypeIPv4)
		}
	}
	if len(types) == 0 {
		types = []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4}
	}
	return types
}

// reservedLabels are the service labels a slice does not copy: its own.
var reservedLabels = map[string]bool{discoveryv1.LabelServiceName: true, discoveryv1.LabelManagedBy: true, corev1.IsHeadlessService: true}

func sliceMeta(svc *corev1.Service, backends []Backend) endpointslices.Meta {
	labels := map[string]string{}
	for k, v := range svc.Labels {
		if !reservedLabels[k] {
			labels[k] = v
		}
	}
	labels[discoveryv1.LabelServiceName] = svc.Name
	labels[discoveryv1.LabelManagedBy] = ManagedBy
	// Node proxies skip headless services' slices by this label.
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		labels[corev1.IsHeadlessService] = ""
	}
	return endpointslices.Meta{
		GenerateName: svc.Name + "-",
		Labels:       labels,
		Owner:        *metav1.NewControllerRef(svc, corev1.SchemeGroupVersion.WithKind("Service")),
		TriggerTime:  triggerTime(svc, backends).UTC().Format(time.RFC3339),
	}
}

// triggerTime is when the latest change behind these endpoints happened: a
// pod turning ready or not, or the service's creation. Node proxies measure
// network programming latency from it.
func triggerTime(svc *corev1.Service, backends []Backend) time.Time {
	t := svc.CreationTimestamp.Time
	for _, b := range backends {
		for _, cond := range b.Pod.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.LastTransitionTime.After(t) {
				t = cond.LastTransitionTime.Time
			}
		}
	}
	return t
}

// groups builds the desired endpoints: per address type, pods grouped by
// the ports their target ports resolve to.
func groups(svc *corev1.Service, families []discoveryv1.AddressType, backends []Backend) []endpointslices.Group {
	type podPorts struct {
		b     Backend
		ports []discoveryv1.EndpointPort
	}
	byPod := map[string]*podPorts{}
	var order []string
	for _, b := range backends {
		key := string(b.Pod.UID) + "/" + b.Pod.Name
		pp := byPod[key]
		if pp == nil {
			pp = &podPorts{b: b}
			byPod[key] = pp
			order = append(order, key)
		}
		pp.ports = append(pp.ports, discoveryv1.EndpointPort{
			Name: ptr.To(b.ServicePort.Name), Port: ptr.To(b.Port), Protocol: ptr.To(b.ServicePort.Protocol), AppProtocol: b.ServicePort.AppProtocol,
		})
	}
	var out []endpointslices.Group
	index := map[string]int{}
	for _, family := range families {
		for _, key := range order {
			pp := byPod[key]
			ip := ipOfFamily(pp.b.IPs, family)
			if ip == "" {
				continue
			}
			endpointslices.SortPorts(pp.ports)
			gk := string(family) + fmt.Sprint(portKey(pp.ports))
			i, ok := index[gk]
			if !ok {
				i = len(out)
				index[gk] = i
				out = append(out, endpointslices.Group{AddressType: family, Ports: pp.ports})
			}
			out[i].Endpoints = append(out[i].Endpoints, endpointOf(svc, pp.b, ip))
		}
	}
	for i := range out {
		eps := out[i].Endpoints
		sort.Slice(eps, func(a, b int) bool { return eps[a].Addresses[0] < eps[b].Addresses[0] })
	}
	return out
}

func portKey(ports []discoveryv1.EndpointPort) []string {
	var k []string
	for _, p := range ports {
		k = append(k, fmt.Sprintf("%s/%s/%d", *p.Name, *p.Protocol, *p.Port))
	}
	return k
}

func endpointOf(svc *corev1.Service, b Backend, ip string) discoveryv1.Endpoint {
	pod := b.Pod
	ep := discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(b.Ready), Serving: ptr.To(b.Serving), Terminating: ptr.To(b.Terminating)},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
	}
	if pod.Spec.NodeName != "" {
		ep.NodeName = ptr.To(pod.Spec.NodeName)
	}
	// A pod whose subdomain is the (headless) service's name is reachable
	// by its hostname under it.
	if pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name {
		ep.Hostname = ptr.To(pod.Spec.Hostname)
	}
	return ep
}

func ipOfFamily(ips []string, family discoveryv1.AddressType) string {
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			continue
		}
		if (ip.To4() != nil) == (family == discoveryv1.AddressTypeIPv4) {
			return s
		}
	}
	return ""
}
