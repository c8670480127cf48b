package integration

import (
	"context"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestIngresses(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	prefix := networkingv1.PathTypePrefix
	backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}
	ing, err := shared.Client.NetworkingV1().Ingresses(ns).Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"), Rules: []networkingv1.IngressRule{{
			Host: "shop.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
				{Path: "/", PathType: &prefix, Backend: backend},
			}}},
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "192.0.2.20"}}
	if _, err := shared.Client.NetworkingV1().Ingresses(ns).UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	_, err = shared.Client.NetworkingV1().Ingresses(ns).Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: "Bad_Host",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
				{Path: "relative", PathType: &prefix, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web"}}},
			}}},
		}}},
	}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.rules[0].host")
	assertInvalid(t, err, "spec.rules[0].http.paths[0].path")
	assertInvalid(t, err, "spec.rules[0].http.paths[0].backend.service.port")

	classes := shared.Client.NetworkingV1().IngressClasses()
	if _, err := classes.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
		Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = classes.Delete(context.Background(), "nginx", metav1.DeleteOptions{}) })
	_, err = classes.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "none"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.controller")
}

// TestServiceCIDRsAndIPAddresses: the default ServiceCIDR exists and is
// Ready, as node proxies expect; both kinds are validated as upstream.
func TestServiceCIDRsAndIPAddresses(t *testing.T) {
	ctx := context.Background()
	cidrs := shared.Client.NetworkingV1().ServiceCIDRs()
	def, err := cidrs.Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(def.Spec.CIDRs) != 1 || def.Spec.CIDRs[0] != shared.Options.ServiceClusterIPRange {
		t.Errorf("default ServiceCIDR: %v, want [%s]", def.Spec.CIDRs, shared.Options.ServiceClusterIPRange)
	}
	if !apimeta.IsStatusConditionTrue(def.Status.Conditions, networkingv1.ServiceCIDRConditionReady) {
		t.Errorf("default ServiceCIDR not Ready: %+v", def.Status.Conditions)
	}
	def.Spec.CIDRs = []string{"10.1.0.0/16"}
	_, err = cidrs.Update(ctx, def, metav1.UpdateOptions{})
	assertInvalid(t, err, "spec.cidrs[0]")

	_, err = cidrs.Create(ctx, &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "two-v4"},
		Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.2.0.0/16", "10.3.0.0/16"}}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.cidrs")
	_, err = cidrs.Create(ctx, &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.2.0.1/16"}}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.cidrs[0]")
	extra, err := cidrs.Create(ctx, &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "extra"},
		Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.2.0.0/16"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cidrs.Delete(context.Background(), "extra", metav1.DeleteOptions{}) })
	// A single-stack range may gain the other family.
	extra.Spec.CIDRs = append(extra.Spec.CIDRs, "fd00:10::/108")
	if _, err := cidrs.Update(ctx, extra, metav1.UpdateOptions{}); err != nil {
		t.Errorf("adding the second family: %v", err)
	}

	ips := shared.Client.NetworkingV1().IPAddresses()
	_, err = ips.Create(ctx, &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: "10.2.0.300"},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Name: "web", Namespace: "default"}}}, metav1.CreateOptions{})
	assertInvalid(t, err, "metadata.name")
	_, err = ips.Create(ctx, &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: "10.2.0.30"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.parentRef")
	if _, err := ips.Create(ctx, &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: "10.2.0.31"},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Name: "web", Namespace: "default"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ips.Delete(context.Background(), "10.2.0.31", metav1.DeleteOptions{}) })
}
