package integration

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// setPodStatus gives a pod an IP and a readiness, as a kubelet would.
func setPodStatus(t *testing.T, ns, name, ip string, ready bool) {
	t.Helper()
	ctx := context.Background()
	pod, err := shared.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP = ip
	pod.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}
	if _, err := shared.Client.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestEndpointsFollowPodReadiness(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	for _, name := range []string{"web-1", "web-2"} {
		pod := simplePod(name)
		pod.Labels = map[string]string{"app": "web"}
		pod.Spec.Containers[0].Ports[0].Name = "http"
		if _, err := shared.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
	}}
	if _, err := shared.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setPodStatus(t, ns, "web-1", "10.244.1.10", true)
	setPodStatus(t, ns, "web-2", "10.244.1.11", false)

	waitFor(t, "one ready and one not-ready address on the named target port", func(ctx context.Context) bool {
		ep, err := shared.Client.CoreV1().Endpoints(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil || len(ep.Subsets) != 1 {
			return false
		}
		s := ep.Subsets[0]
		return len(s.Addresses) == 1 && s.Addresses[0].IP == "10.244.1.10" && s.Addresses[0].TargetRef.Name == "web-1" &&
			len(s.NotReadyAddresses) == 1 && s.NotReadyAddresses[0].IP == "10.244.1.11" && s.Ports[0].Port == 80
	})
	waitFor(t, "an EndpointSlice with the same picture", func(ctx context.Context) bool {
		list, err := shared.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
		if err != nil || len(list.Items) != 1 {
			return false
		}
		slice := list.Items[0]
		ready := 0
		for _, ep := range slice.Endpoints {
			if *ep.Conditions.Ready {
				ready++
			}
		}
		return len(slice.Endpoints) == 2 && ready == 1 && *slice.Ports[0].Port == 80 &&
			metav1.GetControllerOf(&slice) != nil && metav1.GetControllerOf(&slice).Name == "web"
	})

	// web-2 becomes ready; web-1 goes away.
	setPodStatus(t, ns, "web-2", "10.244.1.11", true)
	if err := shared.Client.CoreV1().Pods(ns).Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "only web-2, ready", func(ctx context.Context) bool {
		ep, err := shared.Client.CoreV1().Endpoints(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && len(ep.Subsets) == 1 && len(ep.Subsets[0].Addresses) == 1 &&
			ep.Subsets[0].Addresses[0].IP == "10.244.1.11" && len(ep.Subsets[0].NotReadyAddresses) == 0
	})

	// The service goes, its endpoints and (through the collector) its slice go too.
	if err := shared.Client.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "endpoints and slice removed with the service", func(ctx context.Context) bool {
		_, err := shared.Client.CoreV1().Endpoints(ns).Get(ctx, "web", metav1.GetOptions{})
		list, _ := shared.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{})
		return err != nil && list != nil && len(list.Items) == 0
	})
}

// TestEndpointSlicesAsUpstream: at most 100 endpoints a slice, terminating
// pods listed as terminating, and a slice that someone deletes or edits is
// put back.
func TestEndpointSlicesAsUpstream(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	const pods = 120
	for i := range pods {
		pod := simplePod(fmt.Sprintf("web-%d", i))
		pod.Labels = map[string]string{"app": "web"}
		if _, err := shared.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		setPodStatus(t, ns, pod.Name, fmt.Sprintf("10.244.%d.%d", 2+i/200, 1+i%200), true)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"tier": "front"}}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
	}}
	if _, err := shared.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	slices := func(ctx context.Context) []discoveryv1.EndpointSlice {
		list, err := shared.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
		if err != nil {
			return nil
		}
		return list.Items
	}
	endpointsIn := func(items []discoveryv1.EndpointSlice) (total, largest int) {
		for _, s := range items {
			total += len(s.Endpoints)
			largest = max(largest, len(s.Endpoints))
		}
		return total, largest
	}
	waitFor(t, "120 endpoints in two slices of at most 100", func(ctx context.Context) bool {
		items := slices(ctx)
		total, largest := endpointsIn(items)
		return len(items) == 2 && total == pods && largest == 100
	})
	items := slices(ctx)
	for _, s := range items {
		if s.Labels["tier"] != "front" || s.Labels[discoveryv1.LabelManagedBy] != "endpointslice-controller.k8s.io" {
			t.Errorf("slice %s labels: %v", s.Name, s.Labels)
		}
		if s.Annotations[corev1.EndpointsLastChangeTriggerTime] == "" {
			t.Errorf("slice %s has no last-change-trigger-time", s.Name)
		}
	}

	// Deleted: put back.
	if err := shared.Client.DiscoveryV1().EndpointSlices(ns).Delete(ctx, items[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deleted slice's endpoints back", func(ctx context.Context) bool {
		total, _ := endpointsIn(slices(ctx))
		return total == pods
	})
	// Edited: put right.
	edited := slices(ctx)[0]
	edited.Endpoints = edited.Endpoints[:1]
	if _, err := shared.Client.DiscoveryV1().EndpointSlices(ns).Update(ctx, &edited, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edited slice repaired", func(ctx context.Context) bool {
		total, _ := endpointsIn(slices(ctx))
		return total == pods
	})

	// A terminating pod stays in the slice, not ready, serving, terminating,
	// and leaves the Endpoints.
	pod, err := shared.Client.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Finalizers = []string{"example.com/hold"}
	if _, err := shared.Client.CoreV1().Pods(ns).Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p, err := shared.Client.CoreV1().Pods(ns).Get(context.Background(), "web-0", metav1.GetOptions{})
		if err == nil {
			p.Finalizers = nil
			_, _ = shared.Client.CoreV1().Pods(ns).Update(context.Background(), p, metav1.UpdateOptions{})
		}
	})
	if err := shared.Client.CoreV1().Pods(ns).Delete(ctx, "web-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ip := pod.Status.PodIP
	waitFor(t, "web-0 terminating in the slice and gone from the Endpoints", func(ctx context.Context) bool {
		var found *discoveryv1.Endpoint
		for _, s := range slices(ctx) {
			for i := range s.Endpoints {
				if s.Endpoints[i].Addresses[0] == ip {
					found = &s.Endpoints[i]
				}
			}
		}
		ep, err := shared.Client.CoreV1().Endpoints(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil || found == nil {
			return false
		}
		for _, a := range ep.Subsets[0].Addresses {
			if a.IP == ip {
				return false
			}
		}
		c := found.Conditions
		return !*c.Ready && *c.Serving && *c.Terminating
	})
}

// TestEndpointsOfSelectorlessServicesAreMirrored: Endpoints written by hand
// for a Service without a selector show up as EndpointSlices (which node
// proxies read), follow edits, and go with the Endpoints.
func TestEndpointsOfSelectorlessServicesAreMirrored(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Name: "pg", Port: 5432}},
	}}
	if _, err := shared.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "db", Labels: map[string]string{"team": "data"}}, Subsets: []corev1.EndpointSubset{{
		Addresses:         []corev1.EndpointAddress{{IP: "192.0.2.10"}, {IP: "192.0.2.11"}},
		NotReadyAddresses: []corev1.EndpointAddress{{IP: "192.0.2.12"}},
		Ports:             []corev1.EndpointPort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}},
	}}}
	ep, err := shared.Client.CoreV1().Endpoints(ns).Create(ctx, ep, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mirrored := func(ctx context.Context) []discoveryv1.EndpointSlice {
		list, err := shared.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=db"})
		if err != nil {
			return nil
		}
		return list.Items
	}
	waitFor(t, "a mirrored slice with two ready and one not-ready endpoint", func(ctx context.Context) bool {
		items := mirrored(ctx)
		if len(items) != 1 || len(items[0].Endpoints) != 3 || *items[0].Ports[0].Port != 5432 {
			return false
		}
		s := items[0]
		return s.Labels[discoveryv1.LabelManagedBy] == "endpointslicemirroring-controller.k8s.io" && s.Labels["team"] == "data" &&
			*s.Endpoints[0].Conditions.Ready && !*s.Endpoints[2].Conditions.Ready && metav1.GetControllerOf(&s).Kind == "Endpoints"
	})
	ep.Subsets[0].Addresses = ep.Subsets[0].Addresses[:1]
	if _, err := shared.Client.CoreV1().Endpoints(ns).Update(ctx, ep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edit mirrored", func(ctx context.Context) bool {
		items := mirrored(ctx)
		return len(items) == 1 && len(items[0].Endpoints) == 2
	})
	if err := shared.Client.CoreV1().Endpoints(ns).Delete(ctx, "db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the mirrored slice gone with the Endpoints", func(ctx context.Context) bool {
		list, err := shared.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=db"})
		return err == nil && len(list.Items) == 0
	})

	// The kubernetes service has one slice, the server's own: not mirrored.
	list, err := shared.Client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=kubernetes"})
	if err != nil || len(list.Items) != 1 {
		t.Errorf("kubernetes slices: %v, %v", list, err)
	}
}
