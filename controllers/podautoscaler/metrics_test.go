package podautoscaler

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	custommetricsv1beta2 "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	externalmetricsv1beta1 "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
	custommetrics "k8s.io/metrics/pkg/client/custom_metrics"
	externalmetrics "k8s.io/metrics/pkg/client/external_metrics"
	clocktesting "k8s.io/utils/clock/testing"
)

// adapter serves what a custom and external metrics adapter would: a
// `requests` metric of pods a (30) and b (50), and an external `queue`
// metric of two series (25 and 15). (No adapter can be reached through
// the API server until it aggregates APIs; the clients are the ones the
// controller uses.)
func adapter(t *testing.T) *rest.Config {
	now := metav1.NewTime(time.Now())
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/apis/custom.metrics.k8s.io/v1beta2/namespaces/ns/pods/*/requests", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("labelSelector") != "app=web" {
			http.Error(w, "unexpected selector "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		item := func(pod, value string) custommetricsv1beta2.MetricValue {
			return custommetricsv1beta2.MetricValue{DescribedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: pod},
				Metric: custommetricsv1beta2.MetricIdentifier{Name: "requests"}, Timestamp: now, Value: resource.MustParse(value)}
		}
		reply(w, custommetricsv1beta2.MetricValueList{TypeMeta: metav1.TypeMeta{Kind: "MetricValueList", APIVersion: "custom.metrics.k8s.io/v1beta2"},
			Items: []custommetricsv1beta2.MetricValue{item("a", "30"), item("b", "50")}})
	})
	mux.HandleFunc("/apis/external.metrics.k8s.io/v1beta1/namespaces/ns/queue", func(w http.ResponseWriter, r *http.Request) {
		item := func(value string) externalmetricsv1beta1.ExternalMetricValue {
			return externalmetricsv1beta1.ExternalMetricValue{MetricName: "queue", Timestamp: now, Value: resource.MustParse(value)}
		}
		reply(w, externalmetricsv1beta1.ExternalMetricValueList{TypeMeta: metav1.TypeMeta{Kind: "ExternalMetricValueList", APIVersion: "external.metrics.k8s.io/v1beta1"},
			Items: []externalmetricsv1beta1.ExternalMetricValue{item("25"), item("15")}})
	})
	server := httptest.NewServer(mux)
	t.Cleanup(server.Close)
	return &rest.Config{Host: server.URL}
}

// Pods and External metrics read through the metrics clients give
// upstream's counts: a Pods metric by the average per pod, an External
// one by the sum of its series (as a total, or per pod).
func TestCustomAndExternalMetrics(t *testing.T) {
	config := adapter(t)
	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{corev1.SchemeGroupVersion})
	mapper.Add(corev1.SchemeGroupVersion.WithKind("Pod"), meta.RESTScopeNamespace)
	custom, err := custommetrics.NewForVersionForConfig(config, mapper, custommetricsv1beta2.SchemeGroupVersion)
	if err != nil {
		t.Fatal(err)
	}
	external, err := externalmetrics.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := calculator{metrics: &RESTMetrics{Custom: custom, External: external},
		pods:  lister(t, pod("a", corev1.PodRunning, corev1.ConditionTrue, now), pod("b", corev1.PodRunning, corev1.ConditionTrue, now)),
		clock: clocktesting.NewFakePassiveClock(now)}
	selector := labels.SelectorFromSet(labels.Set{"app": "web"})
	tol := tolerances{0.1, 0.1}
	ctx := context.Background()

	// (30+50)/2 = 40 per pod against 20: twice the two pods.
	replicas, average, _, err := c.podsMetricReplicas(ctx, 2, 20_000, "requests", tol, "ns", selector, labels.Everything())
	if err != nil || replicas != 4 || average != 40_000 {
		t.Errorf("pods metric: %d replicas, average %d, %v; want 4 and 40000", replicas, average, err)
	}
	value := func(s string) *resource.Quantity { q := resource.MustParse(s); return &q }
	spec := &autoscalingv2.ExternalMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "queue"},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: value("10")}}
	// A total of 40 against 10: four times the two ready pods.
	replicas, total, _, err := c.externalReplicas(ctx, 2, 2, spec, tol, "ns", selector, labels.Everything())
	if err != nil || replicas != 8 || total != 40_000 {
		t.Errorf("external value: %d replicas, total %d, %v; want 8 and 40000", replicas, total, err)
	}
	spec.Target = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: value("10")}
	// 40 at 10 a pod: 4 pods; the status shows 20 a pod now.
	replicas, average, _, err = c.externalReplicas(ctx, 2, 2, spec, tol, "ns", selector, labels.Everything())
	if err != nil || replicas != 4 || average != 20_000 {
		t.Errorf("external average value: %d replicas, average %d, %v; want 4 and 20000", replicas, average, err)
	}
	if _, _, _, err := c.externalReplicas(ctx, 2, 2, &autoscalingv2.ExternalMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "absent"}, Target: spec.Target},
		tol, "ns", selector, labels.Everything()); err == nil {
		t.Error("a metric the adapter does not serve gave no error")
	}
}
