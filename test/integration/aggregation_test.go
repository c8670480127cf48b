package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
	"k8s.io/utils/ptr"
)

// extensionServer is a minimal extension API server for
// things.example.com/v1: it trusts only requests whose client certificate
// is the front proxy's, signed by the CA the cluster publishes in
// kube-system/extension-apiserver-authentication, and lists one Thing
// named after the X-Remote-User the proxy sends.
func extensionServer(t *testing.T) *httptest.Server {
	t.Helper()
	info, err := shared.Client.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "extension-apiserver-authentication", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var allowed []string
	if err := json.Unmarshal([]byte(info.Data["requestheader-allowed-names"]), &allowed); err != nil || len(allowed) != 1 {
		t.Fatalf("requestheader-allowed-names: %q %v", info.Data["requestheader-allowed-names"], err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(info.Data["requestheader-client-ca-file"])) {
		t.Fatal("no front proxy CA in extension-apiserver-authentication")
	}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/apis/things.example.com/v1", func(w http.ResponseWriter, r *http.Request) {
		reply(w, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "things.example.com/v1",
			APIResources: []metav1.APIResource{{Name: "things", Namespaced: true, Kind: "Thing", Verbs: []string{"get", "list"}}}})
	})
	mux.HandleFunc("/apis/things.example.com/v1/namespaces/{ns}/things", func(w http.ResponseWriter, r *http.Request) {
		user := r.Header.Get("X-Remote-User")
		reply(w, map[string]any{"kind": "ThingList", "apiVersion": "things.example.com/v1", "metadata": map[string]any{},
			"items": []any{map[string]any{"kind": "Thing", "apiVersion": "things.example.com/v1", "metadata": map[string]any{"name": "seen-by-" + user, "namespace": r.PathValue("ns")}}}})
	})
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != allowed[0] {
			http.Error(w, "not the front proxy", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	server.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	server.StartTLS()
	t.Cleanup(server.Close)
	return server
}

// An APIService proxied to an extension API server behind a Service: the
// aggregator finds it by the Service's endpoint, presents the front proxy
// certificate with the user in X-Remote-User, marks the APIService
// Available and lists its group in discovery. An APIService whose Service
// is missing is unavailable, and the rest of the API is not affected.
func TestAPIServiceProxiesToAnExtensionServer(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	ext := extensionServer(t)
	host, portText, _ := net.SplitHostPort(ext.Listener.Addr().String())
	port, _ := strconv.Atoi(portText)

	// The Service has no selector; its EndpointSlice is the test's
	// server. (On loopback, which upstream's EndpointSlice validation
	// would refuse and kybernetes' does not yet.)
	if _, err := shared.Client.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "things"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt(port)}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := shared.Client.DiscoveryV1().EndpointSlices(ns).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "things-1", Labels: map[string]string{discoveryv1.LabelServiceName: "things"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{host}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(int32(port))}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	apiServices := aggregatorclient.NewForConfigOrDie(shared.Config).ApiregistrationV1().APIServices()
	create := func(group string, service *apiregistrationv1.ServiceReference) {
		t.Helper()
		_, err := apiServices.Create(ctx, &apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1." + group},
			Spec: apiregistrationv1.APIServiceSpec{Group: group, Version: "v1", Service: service, InsecureSkipTLSVerify: true,
				GroupPriorityMinimum: 100, VersionPriority: 10}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = apiServices.Delete(context.Background(), "v1."+group, metav1.DeleteOptions{}) })
	}
	create("things.example.com", &apiregistrationv1.ServiceReference{Namespace: ns, Name: "things", Port: ptr.To[int32](443)})
	create("missing.example.com", &apiregistrationv1.ServiceReference{Namespace: ns, Name: "nothing-here", Port: ptr.To[int32](443)})

	available := func(name string) (apiregistrationv1.APIServiceCondition, bool) {
		s, err := apiServices.Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return apiregistrationv1.APIServiceCondition{}, false
		}
		for _, c := range s.Status.Conditions {
			if c.Type == apiregistrationv1.Available {
				return c, true
			}
		}
		return apiregistrationv1.APIServiceCondition{}, false
	}
	waitFor(t, "v1.things.example.com Available", func(context.Context) bool {
		c, ok := available("v1.things.example.com")
		return ok && c.Status == apiregistrationv1.ConditionTrue
	})
	waitFor(t, "v1.missing.example.com unavailable", func(context.Context) bool {
		c, ok := available("v1.missing.example.com")
		return ok && c.Status == apiregistrationv1.ConditionFalse && c.Reason == "ServiceNotFound"
	})

	out, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis/things.example.com/v1/namespaces", ns, "things").DoRaw(ctx)
	if err != nil || !strings.Contains(string(out), `"name":"seen-by-kybernetes-admin"`) {
		t.Fatalf("through the aggregator: %v %s", err, out)
	}
	waitFor(t, "things.example.com in discovery", func(ctx context.Context) bool {
		groups, err := shared.Client.Discovery().ServerGroups()
		if err != nil {
			return false
		}
		for _, g := range groups.Groups {
			if g.Name == "things.example.com" {
				return true
			}
		}
		return false
	})
	// Without the proxy's certificate the extension server refuses.
	resp, err := ext.Client().Get(ext.URL + "/apis/things.example.com/v1")
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a direct request: %v %v", resp, err)
	}
	if _, err := shared.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		t.Errorf("the built-in API after an unavailable APIService: %v", err)
	}
}
