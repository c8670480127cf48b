package integration

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
)

func webService(name string, typ corev1.ServiceType) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Type: typ, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}, {Name: "metrics", Port: 9090}}},
	}
}

func TestServiceClusterIPAllocation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	services := shared.Client.CoreV1().Services(ns)
	_, serviceCIDR, _ := net.ParseCIDR(shared.Options.ServiceClusterIPRange)

	svc, err := services.Create(ctx, webService("web", ""), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP(svc.Spec.ClusterIP)
	if ip == nil || !serviceCIDR.Contains(ip) || len(svc.Spec.ClusterIPs) != 1 || svc.Spec.ClusterIPs[0] != svc.Spec.ClusterIP {
		t.Fatalf("allocated cluster IP %q / %v, want one from %s", svc.Spec.ClusterIP, svc.Spec.ClusterIPs, serviceCIDR)
	}
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || svc.Spec.SessionAffinity != corev1.ServiceAffinityNone ||
		svc.Spec.Ports[1].TargetPort != intstr.FromInt32(9090) || svc.Spec.Ports[0].Protocol != corev1.ProtocolTCP ||
		svc.Spec.IPFamilies[0] != corev1.IPv4Protocol {
		t.Fatalf("service defaults: %+v", svc.Spec)
	}

	// The same IP cannot be had twice; a free one can be asked for.
	taken := webService("taken", "")
	taken.Spec.ClusterIP = svc.Spec.ClusterIP
	_, err = services.Create(ctx, taken, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.clusterIPs[0]")
	if !strings.Contains(err.Error(), "already allocated") {
		t.Fatalf("want 'already allocated', got %v", err)
	}
	outside := webService("outside", "")
	outside.Spec.ClusterIP = "192.0.2.1"
	_, err = services.Create(ctx, outside, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.clusterIPs[0]")

	// Deleting the service frees its IP for a new one that asks for it.
	if err := services.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := services.Create(ctx, taken, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("re-using a released IP: %v", err)
	}
	if again.Spec.ClusterIP != svc.Spec.ClusterIP {
		t.Fatalf("got %s", again.Spec.ClusterIP)
	}

	// The cluster IP cannot change, and an update without it keeps it.
	patched, err := services.Patch(ctx, "taken", types.MergePatchType, []byte(`{"metadata":{"labels":{"a":"b"}}}`), metav1.PatchOptions{})
	if err != nil || patched.Spec.ClusterIP != again.Spec.ClusterIP {
		t.Fatalf("patch: %v, cluster IP %s", err, patched.Spec.ClusterIP)
	}
	_, err = services.Patch(ctx, "taken", types.MergePatchType, []byte(`{"spec":{"clusterIP":"10.96.0.99","clusterIPs":["10.96.0.99"]}}`), metav1.PatchOptions{})
	assertInvalid(t, err, "spec.clusterIPs[0]")

	headless := webService("headless", "")
	headless.Spec.ClusterIP = corev1.ClusterIPNone
	hs, err := services.Create(ctx, headless, metav1.CreateOptions{})
	if err != nil || hs.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Fatalf("headless: %v %+v", err, hs)
	}
	external, err := services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com"}}, metav1.CreateOptions{})
	if err != nil || external.Spec.ClusterIP != "" {
		t.Fatalf("external name: %v %+v", err, external)
	}
}

func TestServiceNodePorts(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	services := shared.Client.CoreV1().Services(ns)
	svc, err := services.Create(ctx, webService("np", corev1.ServiceTypeNodePort), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodePortRange := shared.Options.ServiceNodePortRange
	for _, p := range svc.Spec.Ports {
		if !nodePortRange.Contains(int(p.NodePort)) {
			t.Fatalf("node port %d outside %s", p.NodePort, nodePortRange.String())
		}
	}
	if svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyCluster {
		t.Fatalf("externalTrafficPolicy %q", svc.Spec.ExternalTrafficPolicy)
	}
	clash := webService("clash", corev1.ServiceTypeNodePort)
	clash.Spec.Ports[0].NodePort = svc.Spec.Ports[0].NodePort
	_, err = services.Create(ctx, clash, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.ports[0].nodePort")

	// Back to ClusterIP: node ports are cleared and released.
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	back, err := services.Update(ctx, svc, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back.Spec.Ports[0].NodePort != 0 {
		t.Fatalf("ClusterIP service kept node port %d", back.Spec.Ports[0].NodePort)
	}
	if _, err := services.Create(ctx, clash, metav1.CreateOptions{}); err != nil {
		t.Fatalf("released node port not reusable: %v", err)
	}

	lb, err := services.Create(ctx, webService("lb", corev1.ServiceTypeLoadBalancer), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lb.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.10"}}
	lb, err = services.UpdateStatus(ctx, lb, metav1.UpdateOptions{})
	if err != nil || lb.Status.LoadBalancer.Ingress[0].IP != "192.0.2.10" {
		t.Fatalf("load balancer status: %v", err)
	}
}

func TestServiceValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	services := shared.Client.CoreV1().Services(ns)
	_, err := services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "noports"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.ports")
	bad := webService("1bad", "")
	_, err = services.Create(ctx, bad, metav1.CreateOptions{})
	assertInvalid(t, err, "metadata.name")
	unnamed := webService("unnamed", "")
	unnamed.Spec.Ports[1].Name = ""
	unnamed.Spec.Ports[0].Port = 0
	_, err = services.Create(ctx, unnamed, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.ports[1].name")
	assertInvalid(t, err, "spec.ports[0].port")
	// Nothing was allocated for the refused services.
	list, _ := services.List(ctx, metav1.ListOptions{})
	if len(list.Items) != 0 {
		t.Fatalf("%d services stored", len(list.Items))
	}
	if !apierrors.IsInvalid(err) {
		t.Fatal(err)
	}
}

func TestEndpoints(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	ep, err := shared.Client.CoreV1().Endpoints(ns).Create(ctx, &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.244.0.5"}},
			Ports: []corev1.EndpointPort{{Port: 8080}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Subsets[0].Ports[0].Protocol != corev1.ProtocolTCP {
		t.Fatalf("endpoint port protocol %q", ep.Subsets[0].Ports[0].Protocol)
	}
	_, err = shared.Client.CoreV1().Endpoints(ns).Create(ctx, &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Subsets:    []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "not-an-ip"}}}},
	}, metav1.CreateOptions{})
	assertInvalid(t, err, "subsets[0].addresses[0].ip")
}

func TestKubernetesService(t *testing.T) {
	ctx := context.Background()
	svc, err := shared.Client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.ClusterIP != "10.96.0.1" || svc.Spec.Ports[0].Port != 443 || svc.Labels["component"] != "apiserver" {
		t.Fatalf("kubernetes service: %+v", svc.Spec)
	}
	ep, err := shared.Client.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(shared.Config.Host, "https://"))
	addr := ep.Subsets[0].Addresses[0].IP
	if addr != host || fmt.Sprint(ep.Subsets[0].Ports[0].Port) != port {
		t.Fatalf("kubernetes endpoints %s:%d, server at %s:%s", addr, ep.Subsets[0].Ports[0].Port, host, port)
	}
	slice, err := shared.Client.DiscoveryV1().EndpointSlices("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if slice.Endpoints[0].Addresses[0] != host || fmt.Sprint(*slice.Ports[0].Port) != port || slice.Labels["kubernetes.io/service-name"] != "kubernetes" {
		t.Fatalf("kubernetes endpoint slice: %+v", slice)
	}
}

func TestEndpointSliceValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	slices := shared.Client.DiscoveryV1().EndpointSlices(ns)
	_, err := slices.Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-abc"},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.7"}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = slices.Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-bad"},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"fd00::1"}}},
	}, metav1.CreateOptions{})
	assertInvalid(t, err, "endpoints[0].addresses[0]")
}

// Concurrent creates never share a cluster IP or node port.
func TestConcurrentServiceAllocation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	services := shared.Client.CoreV1().Services(ns)
	const n = 50
	type result struct {
		svc *corev1.Service
		err error
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			svc, err := services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%02d", i)},
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
			results <- result{svc, err}
		}()
	}
	ips, ports := map[string]bool{}, map[int32]bool{}
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		ips[r.svc.Spec.ClusterIP] = true
		ports[r.svc.Spec.Ports[0].NodePort] = true
	}
	if len(ips) != n || len(ports) != n {
		t.Fatalf("%d concurrent services got %d distinct IPs and %d distinct node ports", n, len(ips), len(ports))
	}
}

// A service that vanished without releasing its IP (a crash between store
// and release, simulated by deleting it from etcd behind the server's back)
// has its IP freed by the repair loop.
func TestAllocationRepairFreesLeaks(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	services := shared.Client.CoreV1().Services(ns)
	svc, err := services.Create(ctx, webService("leaky", corev1.ServiceTypeNodePort), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	etcd := shared.Etcd(t)
	deleted, err := etcd.Delete(ctx, "/registry/services/"+ns+"/leaky")
	if err != nil || deleted.Deleted != 1 {
		t.Fatalf("deleting the service from etcd: %v, %d keys", err, deleted.Deleted)
	}
	again := webService("again", corev1.ServiceTypeNodePort)
	again.Spec.ClusterIP = svc.Spec.ClusterIP
	again.Spec.Ports[0].NodePort = svc.Spec.Ports[0].NodePort
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := services.Create(ctx, again, metav1.CreateOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("leaked IP %s and node port %d were not freed", svc.Spec.ClusterIP, svc.Spec.Ports[0].NodePort)
	}
}

// TestHealthCheckNodePort: a Local load balancer gets a health check node
// port from the node port range, keeps it across updates, gives it back
// when it stops being Local, and may not set one otherwise.
func TestHealthCheckNodePort(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	services := shared.Client.CoreV1().Services(ns)
	local := webService("local", corev1.ServiceTypeLoadBalancer)
	local.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	svc, err := services.Create(ctx, local, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := svc.Spec.HealthCheckNodePort
	if !shared.Options.ServiceNodePortRange.Contains(int(hc)) || hc == svc.Spec.Ports[0].NodePort {
		t.Fatalf("health check node port %d (node port %d)", hc, svc.Spec.Ports[0].NodePort)
	}
	// An apply that leaves it out keeps it.
	svc.Spec.HealthCheckNodePort = 0
	svc.Labels = map[string]string{"touched": "yes"}
	if svc, err = services.Update(ctx, svc, metav1.UpdateOptions{}); err != nil || svc.Spec.HealthCheckNodePort != hc {
		t.Fatalf("after an update: %d, %v; want %d", svc.Spec.HealthCheckNodePort, err, hc)
	}
	// Taken: another service may not ask for it.
	clash := webService("clash", corev1.ServiceTypeLoadBalancer)
	clash.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	clash.Spec.HealthCheckNodePort = hc
	_, err = services.Create(ctx, clash, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.healthCheckNodePort")
	// Not Local: none allowed.
	cluster := webService("cluster", corev1.ServiceTypeLoadBalancer)
	cluster.Spec.HealthCheckNodePort = 31999
	_, err = services.Create(ctx, cluster, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.healthCheckNodePort")
	// Cluster policy now: the port is cleared and free again.
	svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	if svc, err = services.Update(ctx, svc, metav1.UpdateOptions{}); err != nil || svc.Spec.HealthCheckNodePort != 0 {
		t.Fatalf("after switching to Cluster: %d, %v", svc.Spec.HealthCheckNodePort, err)
	}
	if _, err := services.Create(ctx, clash, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the released health check node port is not reusable: %v", err)
	}
}
