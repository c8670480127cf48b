// Package service serves core/v1 services. Creating a service allocates its
// cluster IP (from --service-cluster-ip-range) and, for NodePort and
// LoadBalancer services, its node ports; deleting it releases them.
package service

import (
	"context"
	"errors"
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/util/dryrun"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/core/service/allocator"
	"github.com/kybernetes/kybernetes/registry/strategy"
)

// REST is the services resource.
type REST struct {
	*genericregistry.Store
	ips   *allocator.IPRange
	ports *allocator.PortRange
}

// ShortNames makes `kubectl get svc` work.
func (*REST) ShortNames() []string { return []string{"svc"} }

// Categories puts services in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// NewREST returns the services storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter, ips *allocator.IPRange, ports *allocator.PortRange) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*corev1.Service](scheme.Scheme, true)
	s.ValidateObject = core.ValidateService
	s.ValidateObjectUpdate = core.ValidateServiceUpdate
	s.Fields = core.ServiceFields
	status := s.SplitStatus("v1", false)
	status.ValidateObjectUpdate = core.ValidateServiceStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("services"),
		Singular: corev1.Resource("service"),
		New:      func() runtime.Object { return &corev1.Service{} },
		NewList:  func() runtime.Object { return &corev1.ServiceList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	r := &REST{Store: store, ips: ips, ports: ports}
	store.BeginCreate = r.beginCreate
	store.BeginUpdate = r.beginUpdate
	store.AfterDelete = r.afterDelete
	return r, strategy.NewStatusREST(store, status), nil
}

// allocation records what one request claimed, to give it back if the
// request fails, and what it freed, to release once it succeeds.
type allocation struct {
	r           *REST
	claimedIPs  []net.IP
	claimedPort []int
	freedIPs    []net.IP
	freedPorts  []int
}

func (a *allocation) finish(ctx context.Context, success bool) {
	ips, ports := a.claimedIPs, a.claimedPort
	if success {
		ips, ports = a.freedIPs, a.freedPorts
	}
	for _, ip := range ips {
		if err := a.r.ips.Release(ctx, ip); err != nil {
			klog.ErrorS(err, "releasing cluster IP", "ip", ip)
		}
	}
	for _, port := range ports {
		if err := a.r.ports.Release(ctx, port); err != nil {
			klog.ErrorS(err, "releasing node port", "port", port)
		}
	}
}

func (r *REST) beginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
	svc := obj.(*corev1.Service)
	a := &allocation{r: r}
	if dryrun.IsDryRun(options.DryRun) {
		return a.finish, nil
	}
	err := a.allocate(ctx, svc, nil)
	if err != nil {
		a.finish(ctx, false)
		return nil, err
	}
	return a.finish, nil
}

func (r *REST) beginUpdate(ctx context.Context, obj, oldObj runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
	svc, old := obj.(*corev1.Service), oldObj.(*corev1.Service)
	a := &allocation{r: r}
	if dryrun.IsDryRun(options.DryRun) {
		return a.finish, nil
	}
	if err := a.allocate(ctx, svc, old); err != nil {
		a.finish(ctx, false)
		return nil, err
	}
	return a.finish, nil
}

// ListAll returns every service in the cluster, read from etcd, for the
// allocation repair loop.
func (r *REST) ListAll(ctx context.Context) ([]corev1.Service, error) {
	obj, err := r.Store.List(genericapirequest.WithNamespace(ctx, metav1.NamespaceAll), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.ServiceList).Items, nil
}

func (r *REST) afterDelete(obj runtime.Object, options *metav1.DeleteOptions) {
	if dryrun.IsDryRun(options.DryRun) {
		return
	}
	svc := obj.(*corev1.Service)
	a := &allocation{r: r, freedIPs: allocatedIPs(svc), freedPorts: nodePorts(svc)}
	a.finish(context.Background(), true)
}

// allocate fills in and claims the service's cluster IP and node ports.
// On update (old != nil) values the client left out are carried over from
// the stored service, and values the new type no longer needs are freed.
func (a *allocation) allocate(ctx context.Context, svc, old *corev1.Service) error {
	spec := &svc.Spec
	if old != nil {
		carryOver(svc, old)
	}
	// Cluster IP.
	switch {
	case spec.Type == corev1.ServiceTypeExternalName:
		if old != nil {
			a.freedIPs = allocatedIPs(old)
		}
		spec.ClusterIP, spec.ClusterIPs, spec.IPFamilies, spec.IPFamilyPolicy = "", nil, nil, nil
	case spec.ClusterIP == corev1.ClusterIPNone:
		spec.ClusterIPs = []string{corev1.ClusterIPNone}
		a.setFamily(spec)
	case old != nil && spec.ClusterIP != "" && spec.ClusterIP == old.Spec.ClusterIP:
		// Already allocated.
	case spec.ClusterIP == "":
		ip, err := a.r.ips.AllocateNext(ctx)
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %w", err))
		}
		a.claimedIPs = append(a.claimedIPs, ip)
		spec.ClusterIP, spec.ClusterIPs = ip.String(), []string{ip.String()}
		a.setFamily(spec)
	default:
		ip := net.ParseIP(spec.ClusterIP)
		if ip == nil {
			return nil // validation reports it
		}
		if err := a.r.ips.Allocate(ctx, ip); err != nil {
			return invalid(svc, field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), spec.ClusterIP, a.ipError(ip, err)))
		}
		a.claimedIPs = append(a.claimedIPs, ip)
		spec.ClusterIPs = []string{spec.ClusterIP}
		a.setFamily(spec)
	}

	// Node ports, and the health check node port of a Local load balancer.
	kept := map[int]bool{}
	if old != nil {
		for _, p := range nodePorts(old) {
			kept[p] = true
		}
	}
	var errs field.ErrorList
	if needsNodePorts(svc) {
		for i := range spec.Ports {
			p := &spec.Ports[i]
			err := a.claimPort(ctx, &p.NodePort, kept)
			if err != nil && !isFieldError(err) {
				return err
			} else if err != nil {
				errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort, err.Error()))
			}
		}
	} else {
		for i := range spec.Ports {
			spec.Ports[i].NodePort = 0
		}
	}
	hcPath := field.NewPath("spec", "healthCheckNodePort")
	switch {
	case needsHealthCheckNodePort(svc):
		if spec.HealthCheckNodePort == 0 && old != nil && needsHealthCheckNodePort(old) {
			spec.HealthCheckNodePort = old.Spec.HealthCheckNodePort
		}
		if err := a.claimPort(ctx, &spec.HealthCheckNodePort, kept); err != nil && !isFieldError(err) {
			return err
		} else if err != nil {
			errs = append(errs, field.Invalid(hcPath, spec.HealthCheckNodePort, err.Error()))
		}
	case spec.HealthCheckNodePort != 0 && old == nil:
		errs = append(errs, field.Invalid(hcPath, spec.HealthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
	default:
		// No longer a Local load balancer: the port goes back.
		spec.HealthCheckNodePort = 0
	}
	for port := range kept {
		a.freedPorts = append(a.freedPorts, port)
	}
	if len(errs) > 0 {
		return invalid(svc, errs...)
	}
	return nil
}

// fieldError is a refused port, reported on the field that asked for it.
type fieldError struct{ msg string }

func (e fieldError) Error() string { return e.msg }

func isFieldError(err error) bool {
	var fe fieldError
	return errors.As(err, &fe)
}

// claimPort allocates *port (the next free one when 0) unless the stored
// service already holds it (kept, which then keeps it from being freed).
func (a *allocation) claimPort(ctx context.Context, port *int32, kept map[int]bool) error {
	switch {
	case *port == 0:
		next, err := a.r.ports.AllocateNext(ctx)
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
		}
		a.claimedPort = append(a.claimedPort, next)
		*port = int32(next)
	case kept[int(*port)]:
		delete(kept, int(*port))
	default:
		if err := a.r.ports.Allocate(ctx, int(*port)); err != nil {
			return fieldError{a.portError(err)}
		}
		a.claimedPort = append(a.claimedPort, int(*port))
	}
	return nil
}

// needsHealthCheckNodePort: load balancers that keep external traffic on
// the node it arrives at need a port their health checks can ask.
func needsHealthCheckNodePort(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func (a *allocation) setFamily(spec *corev1.ServiceSpec) {
	family := corev1.IPv4Protocol
	if a.r.ips.CIDR().IP.To4() == nil {
		family = corev1.IPv6Protocol
	}
	spec.IPFamilies = []corev1.IPFamily{family}
	if spec.IPFamilyPolicy == nil {
		policy := corev1.IPFamilyPolicySingleStack
		spec.IPFamilyPolicy = &policy
	}
}

func (a *allocation) ipError(ip net.IP, err error) string {
	if errors.Is(err, allocator.ErrNotInRange) {
		return fmt.Sprintf("failed to allocate IP %v: the provided IP (%v) is not in the valid range. The range of valid IPs is %v", ip, ip, a.r.ips.CIDR())
	}
	return fmt.Sprintf("failed to allocate IP %v: %v", ip, err)
}

func (a *allocation) portError(err error) string {
	if errors.Is(err, allocator.ErrNotInRange) {
		return fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %s", a.r.ports.Range().String())
	}
	if errors.Is(err, allocator.ErrAllocated) {
		return "provided port is already allocated"
	}
	return err.Error()
}

// carryOver keeps what the server allocated when an update (kubectl apply,
// say) leaves it out.
func carryOver(svc, old *corev1.Service) {
	if svc.Spec.ClusterIP == "" && old.Spec.ClusterIP != "" && svc.Spec.Type != corev1.ServiceTypeExternalName &&
		old.Spec.Type != corev1.ServiceTypeExternalName {
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = old.Spec.ClusterIP, old.Spec.ClusterIPs
	}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = old.Spec.IPFamilies
	}
	if svc.Spec.IPFamilyPolicy == nil {
		svc.Spec.IPFamilyPolicy = old.Spec.IPFamilyPolicy
	}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		for _, op := range old.Spec.Ports {
			if p.NodePort == 0 && op.NodePort != 0 && op.Port == p.Port && op.Protocol == p.Protocol {
				p.NodePort = op.NodePort
			}
		}
	}
}

func needsNodePorts(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

func allocatedIPs(svc *corev1.Service) []net.IP {
	var ips []net.IP
	for _, s := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...) {
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
		}
	}
	return ips
}

// nodePorts are the node ports the service holds, its health check node
// port included.
func nodePorts(svc *corev1.Service) []int {
	var ports []int
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			ports = append(ports, int(p.NodePort))
		}
	}
	if svc.Spec.HealthCheckNodePort != 0 {
		ports = append(ports, int(svc.Spec.HealthCheckNodePort))
	}
	return ports
}

func invalid(svc *corev1.Service, errs ...*field.Error) error {
	return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, errs)
}
