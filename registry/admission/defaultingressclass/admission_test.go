package defaultingressclass

import (
	"context"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

func TestTheDefaultClassIsSetOnNewIngresses(t *testing.T) {
	now := metav1.Now()
	older := metav1.NewTime(now.Add(-time.Hour))
	classes := []*networkingv1.IngressClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "old-default", CreationTimestamp: older, Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "new-default", CreationTimestamp: now, Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "other", CreationTimestamp: now}},
	}
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	for _, c := range classes {
		if err := factory.Networking().V1().IngressClasses().Informer().GetStore().Add(c); err != nil {
			t.Fatal(err)
		}
	}
	p := New()
	p.SetExternalKubeInformerFactory(factory)
	p.SetReadyFunc(func() bool { return true })
	if err := p.ValidateInitialization(); err != nil {
		t.Fatal(err)
	}
	admit := func(ing *networkingv1.Ingress) *networkingv1.Ingress {
		attrs := admission.NewAttributesRecord(ing, nil, networkingv1.SchemeGroupVersion.WithKind("Ingress"), "ns", "web",
			networkingv1.SchemeGroupVersion.WithResource("ingresses"), "", admission.Create, &metav1.CreateOptions{}, false, nil)
		if err := p.Admit(context.Background(), attrs, nil); err != nil {
			t.Fatal(err)
		}
		return ing
	}
	if got := admit(&networkingv1.Ingress{}).Spec.IngressClassName; got == nil || *got != "new-default" {
		t.Errorf("no class: %v, want the newest default, new-default", got)
	}
	other := "other"
	if got := admit(&networkingv1.Ingress{Spec: networkingv1.IngressSpec{IngressClassName: &other}}).Spec.IngressClassName; *got != "other" {
		t.Errorf("a class of its own became %s", *got)
	}
	legacy := admit(&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{legacyClassAnnotation: "nginx"}}})
	if legacy.Spec.IngressClassName != nil {
		t.Errorf("an Ingress with the legacy annotation got %s", *legacy.Spec.IngressClassName)
	}
}
