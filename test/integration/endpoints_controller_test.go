package integration

import (
	"context"
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
