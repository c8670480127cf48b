package registry

import (
	"github.com/kybernetes/kybernetes/registry/rbac/bootstrappolicy"

	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/kybernetes/kybernetes/apis/scheduling"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/registry/networking/servicecidr"
	"github.com/kybernetes/kybernetes/registry/pki"
)

// SystemNamespaces exist in every cluster from its first start.
var SystemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// bootstrap creates what every cluster has from its first start: the system
// namespaces, and the `kubernetes` Service in default whose endpoints are
// this API server. The server reports ready only after the hook returned
// (post-start hooks are /readyz checks), so clients never see a cluster
// without them.
type bootstrap struct {
	serviceCIDR *net.IPNet
	serviceIP   net.IP
	advertiseIP net.IP
	port        int
	// authentication is the kube-system/extension-apiserver-authentication
	// ConfigMap's data.
	authentication map[string]string
}

func (b *bootstrap) hook(ctx genericapiserver.PostStartHookContext) error {
	client, err := kubernetes.NewForConfig(ctx.LoopbackClientConfig)
	if err != nil {
		return err
	}
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := b.ensure(ctx, client); err != nil {
			klog.V(2).InfoS("bootstrapping the cluster, will retry", "err", err)
			return false, nil
		}
		return true, nil
	})
	if ctx.Err() != nil {
		// The server is shutting down: not a failure (the apiserver library
		// exits the process when a post-start hook fails).
		return nil
	}
	return err
}

// LegacyTokenTrackingConfigMap is kube-apiserver's record of when it began
// tracking the use of legacy service account tokens.
const LegacyTokenTrackingConfigMap = "kube-apiserver-legacy-service-account-token-tracking"

func (b *bootstrap) ensure(ctx context.Context, client kubernetes.Interface) error {
	for _, name := range SystemNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	if err := b.ensureAuthenticationInfo(ctx, client); err != nil {
		return err
	}
	// Since when the server marks the legacy service account tokens it
	// authenticates as used (their kubernetes.io/legacy-token-last-used
	// label), as kube-apiserver records it: the legacy token cleaner of a
	// controller manager deletes none unused for less than that.
	tracking := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: LegacyTokenTrackingConfigMap, Namespace: metav1.NamespaceSystem},
		Data: map[string]string{"since": time.Now().UTC().Format(time.DateOnly)}}
	if _, err := client.CoreV1().ConfigMaps(metav1.NamespaceSystem).Create(ctx, tracking, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	// The system priority classes, as kube-apiserver keeps them.
	for _, pc := range scheduling.SystemPriorityClasses() {
		if _, err := client.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	meta := metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
		Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}}
	svc := &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
		ClusterIP: b.serviceIP.String(),
		Ports: []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP,
			TargetPort: intstr.FromInt(b.port)}},
	}}
	// Look before creating: a create of the existing service would first try
	// to allocate its cluster IP again and fail on that.
	if _, err := client.CoreV1().Services(meta.Namespace).Get(ctx, meta.Name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if _, err := client.CoreV1().Services(meta.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	} else if err != nil {
		return err
	}
	// The server writes the kubernetes slice itself; mirroring would make a
	// second one.
	endpointsMeta := *meta.DeepCopy()
	endpointsMeta.Labels["endpointslice.kubernetes.io/skip-mirror"] = "true"
	endpoints := &corev1.Endpoints{ObjectMeta: endpointsMeta, Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: b.advertiseIP.String()}},
		Ports:     []corev1.EndpointPort{{Name: "https", Port: int32(b.port), Protocol: corev1.ProtocolTCP}},
	}}}
	existing, err := client.CoreV1().Endpoints(meta.Namespace).Get(ctx, meta.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = client.CoreV1().Endpoints(meta.Namespace).Create(ctx, endpoints, metav1.CreateOptions{})
	case err == nil && (!apiequality.Semantic.DeepEqual(existing.Subsets, endpoints.Subsets) || existing.Labels["endpointslice.kubernetes.io/skip-mirror"] != "true"):
		// A restart on another address or port: point the service at it.
		existing.Subsets = endpoints.Subsets
		if existing.Labels == nil {
			existing.Labels = map[string]string{}
		}
		existing.Labels["endpointslice.kubernetes.io/skip-mirror"] = "true"
		_, err = client.CoreV1().Endpoints(meta.Namespace).Update(ctx, existing, metav1.UpdateOptions{})
	}
	if err != nil {
		return err
	}
	if err := b.ensureEndpointSlice(ctx, client); err != nil {
		return err
	}
	return b.ensureServiceCIDR(ctx, client)
}

// ensureServiceCIDR makes the default ServiceCIDR, which node proxies watch
// to learn the service range: spec from --service-cluster-ip-range, Ready.
func (b *bootstrap) ensureServiceCIDR(ctx context.Context, client kubernetes.Interface) error {
	if b.serviceCIDR == nil {
		return nil
	}
	cidrs := client.NetworkingV1().ServiceCIDRs()
	sc, err := cidrs.Get(ctx, servicecidr.DefaultName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		sc, err = cidrs.Create(ctx, &networkingv1.ServiceCIDR{
			ObjectMeta: metav1.ObjectMeta{Name: servicecidr.DefaultName},
			Spec:       networkingv1.ServiceCIDRSpec{CIDRs: []string{b.serviceCIDR.String()}},
		}, metav1.CreateOptions{})
	}
	if err != nil {
		return err
	}
	ready := metav1.Condition{Type: networkingv1.ServiceCIDRConditionReady, Status: metav1.ConditionTrue,
		Reason: "ServiceCIDRReady", Message: "Kubernetes Service CIDR is ready", ObservedGeneration: sc.Generation}
	if c := apimeta.FindStatusCondition(sc.Status.Conditions, ready.Type); c != nil && c.Status == ready.Status {
		return nil
	}
	apimeta.SetStatusCondition(&sc.Status.Conditions, ready)
	_, err = cidrs.UpdateStatus(ctx, sc, metav1.UpdateOptions{})
	return err
}

// ensureEndpointSlice keeps the kubernetes EndpointSlice, which proxies
// read instead of Endpoints, pointing at this server.
func (b *bootstrap) ensureEndpointSlice(ctx context.Context, client kubernetes.Interface) error {
	addressType := discoveryv1.AddressTypeIPv4
	if b.advertiseIP.To4() == nil {
		addressType = discoveryv1.AddressTypeIPv6
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault, Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes"}},
		AddressType: addressType,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{b.advertiseIP.String()}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(int32(b.port)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	slices := client.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault)
	existing, err := slices.Get(ctx, slice.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = slices.Create(ctx, slice, metav1.CreateOptions{})
	case err == nil && (!apiequality.Semantic.DeepEqual(existing.Endpoints, slice.Endpoints) || !apiequality.Semantic.DeepEqual(existing.Ports, slice.Ports)):
		existing.Endpoints, existing.Ports = slice.Endpoints, slice.Ports
		_, err = slices.Update(ctx, existing, metav1.UpdateOptions{})
	}
	return err
}

// ExtensionAuthenticationConfigMap is where extension API servers read how
// to authenticate clients and the aggregator's proxied requests
// (upstream's kube-system/extension-apiserver-authentication).
const ExtensionAuthenticationConfigMap = "extension-apiserver-authentication"

// extensionAuthentication is that ConfigMap's data: the cluster CA that
// signs client certificates, and the front proxy's CA, name and headers.
func extensionAuthentication(pkiDir string, frontProxy pki.FrontProxyFiles) (map[string]string, error) {
	clientCA, err := os.ReadFile(filepath.Join(pkiDir, pki.CACert))
	if err != nil {
		return nil, err
	}
	proxyCA, err := os.ReadFile(frontProxy.CA)
	if err != nil {
		return nil, err
	}
	list := func(v ...string) string {
		out, _ := json.Marshal(v)
		return string(out)
	}
	return map[string]string{
		"client-ca-file":                     string(clientCA),
		"requestheader-client-ca-file":       string(proxyCA),
		"requestheader-allowed-names":        list(pki.FrontProxyClientName),
		"requestheader-username-headers":     list("X-Remote-User"),
		"requestheader-uid-headers":          list("X-Remote-Uid"),
		"requestheader-group-headers":        list("X-Remote-Group"),
		"requestheader-extra-headers-prefix": list("X-Remote-Extra-"),
	}, nil
}

// ensureAuthenticationInfo keeps the extension-apiserver-authentication
// ConfigMap as this server's configuration says.
func (b *bootstrap) ensureAuthenticationInfo(ctx context.Context, client kubernetes.Interface) error {
	if b.authentication == nil {
		return nil
	}
	configMaps := client.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	existing, err := configMaps.Get(ctx, ExtensionAuthenticationConfigMap, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = configMaps.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ExtensionAuthenticationConfigMap}, Data: b.authentication}, metav1.CreateOptions{})
		return err
	case err != nil:
		return err
	case !apiequality.Semantic.DeepEqual(existing.Data, b.authentication):
		existing.Data = b.authentication
		_, err = configMaps.Update(ctx, existing, metav1.UpdateOptions{})
		return err
	}
	return nil
}

// reconcileRBACPolicy writes the bootstrap RBAC policy, retrying until
// the server can (as upstream's rbac/bootstrap-roles hook, which readiness
// waits for: until it is done, only system:masters may do anything).
func reconcileRBACPolicy(ctx genericapiserver.PostStartHookContext) error {
	client, err := kubernetes.NewForConfig(ctx.LoopbackClientConfig)
	if err != nil {
		return err
	}
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(context.Context) (bool, error) {
		if err := bootstrappolicy.Reconcile(ctx, client); err != nil {
			klog.V(2).InfoS("reconciling the RBAC bootstrap policy, will retry", "err", err)
			return false, nil
		}
		return true, nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
