package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// startConverter serves a CRD conversion webhook on loopback over TLS:
// CronTabs' spec.cronSpec in v1 is spec.schedule in v2.
func startConverter(t *testing.T) (url string, caBundle []byte) {
	t.Helper()
	certPEM, keyPEM := servingCert(t, "converter.test")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review apiextensionsv1.ConversionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
			http.Error(w, "not a ConversionReview", http.StatusBadRequest)
			return
		}
		response := &apiextensionsv1.ConversionResponse{UID: review.Request.UID, Result: metav1.Status{Status: metav1.StatusSuccess}}
		for _, raw := range review.Request.Objects {
			var obj map[string]interface{}
			if err := json.Unmarshal(raw.Raw, &obj); err != nil {
				response.Result = metav1.Status{Status: metav1.StatusFailure, Message: err.Error()}
				break
			}
			spec, _ := obj["spec"].(map[string]interface{})
			from, to := "cronSpec", "schedule"
			if strings.HasSuffix(review.Request.DesiredAPIVersion, "/v1") {
				from, to = to, from
			}
			if v, ok := spec[from]; ok {
				delete(spec, from)
				spec[to] = v
			}
			obj["apiVersion"] = review.Request.DesiredAPIVersion
			converted, _ := json.Marshal(obj)
			response.ConvertedObjects = append(response.ConvertedObjects, runtime.RawExtension{Raw: converted})
		}
		review.Response, review.Request = response, nil
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&review)
	}))
	server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	server.StartTLS()
	t.Cleanup(server.Close)
	return server.URL + "/convert", certPEM
}

// twoVersionCRD is a CronTab of group g whose v1 (storage) and v2 differ in
// a field's name, converted by the webhook at url.
func twoVersionCRD(g, url string, caBundle []byte) *apiextensionsv1.CustomResourceDefinition {
	version := func(name, field string, storage bool) apiextensionsv1.CustomResourceDefinitionVersion {
		return apiextensionsv1.CustomResourceDefinitionVersion{Name: name, Served: true, Storage: storage,
			Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object",
				Properties: map[string]apiextensionsv1.JSONSchemaProps{"spec": {Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{field: {Type: "string"}}}}}}}
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "crontabs." + g},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: g, Scope: apiextensionsv1.NamespaceScoped,
			Names:    apiextensionsv1.CustomResourceDefinitionNames{Plural: "crontabs", Singular: "crontab", Kind: "CronTab"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{version("v1", "cronSpec", true), version("v2", "schedule", false)},
			Conversion: &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter, Webhook: &apiextensionsv1.WebhookConversion{
				ClientConfig:             &apiextensionsv1.WebhookClientConfig{URL: &url, CABundle: caBundle},
				ConversionReviewVersions: []string{"v1"},
			}},
		},
	}
}

// Webhook conversion between two versions of a CRD, both ways; a webhook
// that is down gives upstream's error on reads that need it, while objects
// in the stored version and other CRDs are unaffected.
func TestCustomResourceConversionWebhook(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	url, ca := startConverter(t)
	createCRD(t, twoVersionCRD("converted.example.com", url, ca))
	dyn := dynamic.NewForConfigOrDie(shared.Config)
	resource := func(g, v string) dynamic.ResourceInterface {
		return dyn.Resource(schema.GroupVersionResource{Group: g, Version: v, Resource: "crontabs"}).Namespace(ns)
	}
	object := func(g, v, name, field, value string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": g + "/" + v, "kind": "CronTab",
			"metadata": map[string]interface{}{"name": name}, "spec": map[string]interface{}{field: value}}}
	}
	specOf := func(u *unstructured.Unstructured) string {
		b, _ := json.Marshal(u.Object["spec"])
		return string(b)
	}

	if _, err := resource("converted.example.com", "v1").Create(ctx, object("converted.example.com", "v1", "old", "cronSpec", "0 * * * *"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got *unstructured.Unstructured
	var err error
	waitFor(t, "old read through v2", func(ctx context.Context) bool {
		got, err = resource("converted.example.com", "v2").Get(ctx, "old", metav1.GetOptions{})
		return err == nil
	})
	if specOf(got) != `{"schedule":"0 * * * *"}` || got.GetAPIVersion() != "converted.example.com/v2" {
		t.Errorf("old through v2: %s %s", got.GetAPIVersion(), specOf(got))
	}
	if _, err := resource("converted.example.com", "v2").Create(ctx, object("converted.example.com", "v2", "new", "schedule", "*/5 * * * *"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err = resource("converted.example.com", "v1").Get(ctx, "new", metav1.GetOptions{}); err != nil || specOf(got) != `{"cronSpec":"*/5 * * * *"}` {
		t.Errorf("new through v1: %v %v", err, got)
	}

	// A webhook nobody answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := fmt.Sprintf("https://%s/convert", l.Addr())
	l.Close()
	createCRD(t, twoVersionCRD("unconverted.example.com", deadURL, ca))
	if _, err := resource("unconverted.example.com", "v1").Create(ctx, object("unconverted.example.com", "v1", "stuck", "cronSpec", "0 0 * * *"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating in the stored version needs no conversion: %v", err)
	}
	_, err = resource("unconverted.example.com", "v2").Get(ctx, "stuck", metav1.GetOptions{})
	if err == nil || !strings.Contains(err.Error(), "conversion webhook for unconverted.example.com/v1, Kind=CronTab failed") {
		t.Errorf("reading through v2 with the webhook down: %v", err)
	}
	if got, err := resource("unconverted.example.com", "v1").Get(ctx, "stuck", metav1.GetOptions{}); err != nil || specOf(got) != `{"cronSpec":"0 0 * * *"}` {
		t.Errorf("the stored version without the webhook: %v %v", err, got)
	}
	if _, err := resource("converted.example.com", "v2").Get(ctx, "old", metav1.GetOptions{}); err != nil {
		t.Errorf("the other CRD while this one's webhook is down: %v", err)
	}
}

// Selectable fields: a CRD's own field selectors, as upstream serves them.
func TestCustomResourceSelectableFields(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	crd := twoVersionCRD("selectable.example.com", "", nil)
	crd.Spec.Conversion = nil
	crd.Spec.Versions = crd.Spec.Versions[:1]
	crd.Spec.Versions[0].SelectableFields = []apiextensionsv1.SelectableField{{JSONPath: ".spec.cronSpec"}}
	createCRD(t, crd)
	crontabs := dynamic.NewForConfigOrDie(shared.Config).Resource(schema.GroupVersionResource{Group: "selectable.example.com", Version: "v1", Resource: "crontabs"}).Namespace(ns)
	for name, spec := range map[string]string{"hourly": "0 * * * *", "daily": "0 0 * * *"} {
		if _, err := crontabs.Create(ctx, &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "selectable.example.com/v1", "kind": "CronTab",
			"metadata": map[string]interface{}{"name": name}, "spec": map[string]interface{}{"cronSpec": spec}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := crontabs.List(ctx, metav1.ListOptions{FieldSelector: "spec.cronSpec=0 0 * * *"})
	if err != nil || len(list.Items) != 1 || list.Items[0].GetName() != "daily" {
		t.Errorf("selected by spec.cronSpec: %v %v", err, list)
	}
	if _, err := crontabs.List(ctx, metav1.ListOptions{FieldSelector: "spec.other=x"}); err == nil || !strings.Contains(err.Error(), "field label not supported") {
		t.Errorf("a field that is not selectable: %v", err)
	}
}
