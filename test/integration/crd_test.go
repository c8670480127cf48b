package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
)

// crontabCRD is the CronTab of upstream's CRD walkthrough, in group g:
// a cron schedule with a pattern, a defaulted replica count bounded by a
// CEL rule, status and scale subresources and printer columns.
func crontabCRD(g string) *apiextensionsv1.CustomResourceDefinition {
	props := func(p map[string]apiextensionsv1.JSONSchemaProps) map[string]apiextensionsv1.JSONSchemaProps {
		return p
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "crontabs." + g},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: g, Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "crontabs", Singular: "crontab", Kind: "CronTab", ShortNames: []string{"ct"}},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Subresources: &apiextensionsv1.CustomResourceSubresources{
					Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
					Scale:  &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas", LabelSelectorPath: ptr.To(".status.selector")},
				},
				AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{{Name: "Spec", Type: "string", JSONPath: ".spec.cronSpec"}},
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: props(map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {
							Type:         "object",
							XValidations: apiextensionsv1.ValidationRules{{Rule: "self.replicas <= 10", Message: "at most 10 replicas"}},
							Properties: props(map[string]apiextensionsv1.JSONSchemaProps{
								"cronSpec": {Type: "string", Pattern: `^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$`, Description: "The cron schedule."},
								"image":    {Type: "string"},
								"replicas": {Type: "integer", Default: &apiextensionsv1.JSON{Raw: []byte("1")}},
							}),
						},
						"status": {Type: "object", Properties: props(map[string]apiextensionsv1.JSONSchemaProps{
							"replicas": {Type: "integer"}, "selector": {Type: "string"}})},
					}),
				}},
			}},
		},
	}
}

// createCRD creates crd and waits until it is established and its
// resource is in discovery.
func createCRD(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	client := apiextensionsclient.NewForConfigOrDie(shared.Config).ApiextensionsV1().CustomResourceDefinitions()
	if _, err := client.Create(context.Background(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Delete(context.Background(), crd.Name, metav1.DeleteOptions{}) })
	disc := discovery.NewDiscoveryClientForConfigOrDie(shared.Config)
	var got *apiextensionsv1.CustomResourceDefinition
	waitFor(t, crd.Name+" established and discovered", func(ctx context.Context) bool {
		c, err := client.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		got = c
		established := false
		for _, cond := range c.Status.Conditions {
			established = established || cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue
		}
		if !established {
			return false
		}
		_, lists, err := disc.ServerGroupsAndResources()
		if err != nil {
			return false
		}
		for _, l := range lists {
			for _, r := range l.APIResources {
				if l.GroupVersion == crd.Spec.Group+"/"+crd.Spec.Versions[0].Name && r.Name == crd.Spec.Names.Plural {
					return true
				}
			}
		}
		return false
	})
	return got
}

// A CustomResourceDefinition through its life: established with its names
// accepted, listed in discovery (legacy and aggregated), its objects
// defaulted, pruned and validated by schema and CEL rule, the status and
// scale subresources, printer columns, watch, OpenAPI, and its objects
// gone with it.
func TestCustomResourceDefinitionLifecycle(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	crd := createCRD(t, crontabCRD("stable.example.com"))
	accepted := false
	for _, c := range crd.Status.Conditions {
		accepted = accepted || c.Type == apiextensionsv1.NamesAccepted && c.Status == apiextensionsv1.ConditionTrue
	}
	if !accepted {
		t.Errorf("NamesAccepted: %+v", crd.Status.Conditions)
	}
	dyn := dynamic.NewForConfigOrDie(shared.Config)
	gvr := schema.GroupVersionResource{Group: "stable.example.com", Version: "v1", Resource: "crontabs"}
	crontabs := dyn.Resource(gvr).Namespace(ns)

	w, err := crontabs.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	obj := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": map[string]interface{}{"name": "nightly"},
		"spec": map[string]interface{}{"cronSpec": "* * * * */5", "image": "cron:1", "unknown": "pruned"},
	}}
	created, err := crontabs.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := created.Object["spec"].(map[string]interface{})
	if spec["replicas"] != int64(1) || spec["unknown"] != nil {
		t.Errorf("defaulting and pruning: spec %v", spec)
	}
	select {
	case ev := <-w.ResultChan():
		if ev.Type != watch.Added || ev.Object.(*unstructured.Unstructured).GetName() != "nightly" {
			t.Errorf("watch: %v %v", ev.Type, ev.Object)
		}
	case <-time.After(10 * time.Second):
		t.Error("no watch event for the created object")
	}

	// The schema's pattern and the CEL rule, with upstream's paths.
	bad := obj.DeepCopy()
	bad.SetName("bad")
	bad.Object["spec"] = map[string]interface{}{"cronSpec": "every day", "replicas": int64(11)}
	_, err = crontabs.Create(ctx, bad, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.cronSpec")
	assertInvalid(t, err, "spec")
	if !strings.Contains(err.Error(), "at most 10 replicas") {
		t.Errorf("the CEL rule's message is missing: %v", err)
	}

	// Scale and status subresources.
	scale, err := crontabs.Get(ctx, "nightly", metav1.GetOptions{}, "scale")
	if err != nil || scale.GetKind() != "Scale" {
		t.Fatalf("scale: %v %v", scale, err)
	}
	if _, err := crontabs.Patch(ctx, "nightly", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatal(err)
	}
	if _, err := crontabs.Patch(ctx, "nightly", types.MergePatchType, []byte(`{"status":{"replicas":3,"selector":"app=cron"},"spec":{"image":"ignored"}}`), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}
	got, err := crontabs.Get(ctx, "nightly", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); r != 3 {
		t.Errorf("replicas after the scale patch: %d", r)
	}
	if img, _, _ := unstructured.NestedString(got.Object, "spec", "image"); img != "cron:1" {
		t.Errorf("a status write changed the spec: image %q", img)
	}

	// Printer columns, as kubectl asks for them.
	table, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis/stable.example.com/v1/namespaces", ns, "crontabs").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"name":"Spec"`) || !strings.Contains(string(table), `* * * * */5`) {
		t.Errorf("table: %v %s", err, table)
	}

	// Aggregated discovery lists the group; OpenAPI v3 has the schema.
	aggregated, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis").
		SetHeader("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList").DoRaw(ctx)
	if err != nil || !strings.Contains(string(aggregated), `"stable.example.com"`) {
		t.Errorf("aggregated discovery: %v %.300s", err, aggregated)
	}
	waitFor(t, "the CRD's OpenAPI v3 document", func(ctx context.Context) bool {
		doc, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/openapi/v3/apis/stable.example.com/v1").DoRaw(ctx)
		return err == nil && strings.Contains(string(doc), "The cron schedule.")
	})

	// Deleting the CRD deletes its objects.
	client := apiextensionsclient.NewForConfigOrDie(shared.Config).ApiextensionsV1().CustomResourceDefinitions()
	if err := client.Delete(ctx, crd.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the CRD to be gone", func(ctx context.Context) bool {
		_, err := client.Get(ctx, crd.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	createCRD(t, crontabCRD("stable.example.com"))
	list, err := crontabs.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("objects of the deleted CRD came back: %v %v", list, err)
	}
}

// A CRD with an invalid schema is refused with upstream's field paths, and
// leaves the other CRDs alone.
func TestCustomResourceDefinitionInvalid(t *testing.T) {
	client := apiextensionsclient.NewForConfigOrDie(shared.Config).ApiextensionsV1().CustomResourceDefinitions()
	crd := crontabCRD("invalid.example.com")
	crd.Name = "wrong.invalid.example.com"
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"] = apiextensionsv1.JSONSchemaProps{Type: "object",
		Properties:   map[string]apiextensionsv1.JSONSchemaProps{"count": {Type: "number", Format: "bogus", Minimum: ptr.To(5.0), Maximum: ptr.To(1.0)}},
		XValidations: apiextensionsv1.ValidationRules{{Rule: "self.count >"}}}
	_, err := client.Create(context.Background(), crd, metav1.CreateOptions{})
	assertInvalid(t, err, "metadata.name")
	assertInvalid(t, err, "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule")
}

// Two versions with the None conversion: an object written in one is read
// in the other, only apiVersion differing.
func TestCustomResourceDefinitionVersions(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	crd := crontabCRD("versions.example.com")
	v2 := crd.Spec.Versions[0]
	v2.Name, v2.Storage = "v2", false
	crd.Spec.Versions = append(crd.Spec.Versions, v2)
	createCRD(t, crd)
	dyn := dynamic.NewForConfigOrDie(shared.Config)
	v1 := dyn.Resource(schema.GroupVersionResource{Group: "versions.example.com", Version: "v1", Resource: "crontabs"}).Namespace(ns)
	_, err := v1.Create(ctx, &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "versions.example.com/v1", "kind": "CronTab", "metadata": map[string]interface{}{"name": "x"},
		"spec": map[string]interface{}{"cronSpec": "0 0 * * *"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got *unstructured.Unstructured
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err = dyn.Resource(schema.GroupVersionResource{Group: "versions.example.com", Version: "v2", Resource: "crontabs"}).Namespace(ns).Get(ctx, "x", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("reading through v2: %v", err)
	}
	spec, _ := json.Marshal(got.Object["spec"])
	if got.GetAPIVersion() != "versions.example.com/v2" || string(spec) != `{"cronSpec":"0 0 * * *","replicas":1}` {
		t.Errorf("through v2: %s %s", got.GetAPIVersion(), spec)
	}
}
