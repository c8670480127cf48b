package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// webhookServer is an admission webhook the test runs on loopback over
// TLS, with a certificate for the names the API server will dial.
type webhookServer struct {
	*httptest.Server
	caBundle []byte

	mu       sync.Mutex
	requests []*admissionv1.AdmissionRequest
}

// startWebhook serves decide at every path; dnsName is the name of the
// Service the API server may reach it through.
func startWebhook(t *testing.T, dnsName string, decide func(path string, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse) *webhookServer {
	t.Helper()
	certPEM, keyPEM := servingCert(t, dnsName)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	w := &webhookServer{caBundle: certPEM}
	w.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
			http.Error(rw, "not an AdmissionReview", http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.requests = append(w.requests, review.Request)
		w.mu.Unlock()
		response := decide(r.URL.Path, review.Request)
		response.UID = review.Request.UID
		review.Response, review.Request = response, nil
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(&review)
	}))
	w.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	w.StartTLS()
	t.Cleanup(w.Close)
	return w
}

// seen returns the requests the webhook had whose object has name.
func (w *webhookServer) seen(name string) []*admissionv1.AdmissionRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*admissionv1.AdmissionRequest
	for _, r := range w.requests {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

func (w *webhookServer) port(t *testing.T) int32 {
	_, port, err := net.SplitHostPort(w.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	return int32(n)
}

// servingCert is a self-signed certificate for 127.0.0.1 and dnsName.
func servingCert(t *testing.T, dnsName string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: dnsName},
		DNSNames: []string{dnsName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// configMapRules match configmap creates (and updates when asked).
func configMapRules(ops ...admissionregistrationv1.OperationType) []admissionregistrationv1.RuleWithOperations {
	return []admissionregistrationv1.RuleWithOperations{{Operations: ops,
		Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}}
}

// inNamespace selects the test's namespace alone, so that the hooks of
// one test never touch another's objects on the shared server.
func inNamespace(ns string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: ns}}
}

func deleteOnCleanup(t *testing.T, del func(ctx context.Context) error) {
	t.Cleanup(func() {
		if err := del(context.Background()); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// Webhooks: a validating webhook refuses with its own message and status,
// a mutating one patches the object before it is stored, both see who
// asked; a webhook behind a Service is reached at its endpoint; a dry run
// reaches webhooks without side effects only.
func TestAdmissionWebhooks(t *testing.T) {
	ns := newNamespace(t)
	client := shared.Client
	ctx := context.Background()
	hooks := startWebhook(t, "hooks."+ns+".svc", func(path string, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		switch path {
		case "/validate":
			var cm corev1.ConfigMap
			if err := json.Unmarshal(req.Object.Raw, &cm); err == nil && cm.Data["forbidden"] != "" {
				return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden,
					Message: "the key forbidden is not allowed"}}
			}
			return &admissionv1.AdmissionResponse{Allowed: true, Warnings: []string{"seen by the validating webhook"}}
		case "/mutate":
			patch := []byte(`[{"op":"add","path":"/metadata/labels","value":{"mutated-by":"webhook"}}]`)
			return &admissionv1.AdmissionResponse{Allowed: true, Patch: patch, PatchType: ptr.To(admissionv1.PatchTypeJSONPatch)}
		}
		return &admissionv1.AdmissionResponse{Allowed: true}
	})
	// The mutating hook is reached through a Service without a selector
	// whose one endpoint is the test's server.
	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hooks"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromInt32(hooks.port(t))}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DiscoveryV1().EndpointSlices(ns).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "hooks-1", Labels: map[string]string{discoveryv1.LabelServiceName: "hooks"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"127.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(""), Port: ptr.To(hooks.port(t)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: ns + "-validate"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "validate.kybernetes.test",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: ptr.To(hooks.URL + "/validate"), CABundle: hooks.caBundle},
			Rules:                   configMapRules(admissionregistrationv1.Create),
			NamespaceSelector:       inNamespace(ns),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}}}
	created, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, validating, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, validating.Name, metav1.DeleteOptions{})
	})
	// Upstream's defaults are stored.
	hook := created.Webhooks[0]
	if *hook.FailurePolicy != admissionregistrationv1.Fail || *hook.MatchPolicy != admissionregistrationv1.Equivalent || *hook.TimeoutSeconds != 10 ||
		*hook.Rules[0].Scope != admissionregistrationv1.AllScopes || hook.ObjectSelector == nil || created.Generation != 1 {
		t.Errorf("defaults: %s", dump(created))
	}

	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: ns + "-mutate"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "mutate.kybernetes.test",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{CABundle: hooks.caBundle,
				Service: &admissionregistrationv1.ServiceReference{Namespace: ns, Name: "hooks", Path: ptr.To("/mutate")}},
			Rules:                   configMapRules(admissionregistrationv1.Create),
			NamespaceSelector:       inNamespace(ns),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}}}
	if _, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, mutating, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return client.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, mutating.Name, metav1.DeleteOptions{})
	})

	// Admission reads the configurations through informers: wait for a
	// dry run to be refused, then for one to be mutated.
	forbidden := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "forbidden"}, Data: map[string]string{"forbidden": "yes"}}
	var refusal error
	waitFor(t, "the validating webhook to refuse a dry run", func(ctx context.Context) bool {
		_, refusal = client.CoreV1().ConfigMaps(ns).Create(ctx, forbidden, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return refusal != nil
	})
	if !apierrors.IsForbidden(refusal) || refusal.Error() != `admission webhook "validate.kybernetes.test" denied the request: the key forbidden is not allowed` {
		t.Errorf("refusal: %v", refusal)
	}
	waitFor(t, "the mutating webhook to label a dry run", func(ctx context.Context) bool {
		cm, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "probe"}},
			metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && cm.Labels["mutated-by"] == "webhook"
	})

	// A real create: mutated, stored, and the webhook's warning relayed.
	warned, warnings := warningClient(t, shared.Config)
	cm, err := warned.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "allowed"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stored, err := client.CoreV1().ConfigMaps(ns).Get(ctx, cm.Name, metav1.GetOptions{}); err != nil || stored.Labels["mutated-by"] != "webhook" {
		t.Errorf("stored configmap: %v %v", stored.Labels, err)
	}
	if got := warnings.take(); len(got) != 1 || got[0] != "seen by the validating webhook" {
		t.Errorf("warnings %q", got)
	}
	// The validating webhook sees the object as mutated, and who asked.
	requests := hooks.seen("allowed")
	var validated *admissionv1.AdmissionRequest
	for _, r := range requests {
		if strings.Contains(string(r.Object.Raw), `"mutated-by":"webhook"`) {
			validated = r
		}
	}
	if validated == nil || validated.Operation != admissionv1.Create || validated.Namespace != ns || validated.DryRun == nil || *validated.DryRun ||
		validated.UserInfo.Username != "kybernetes-admin" || validated.Resource.Resource != "configmaps" {
		t.Errorf("the validating webhook's requests for the create: %s", dump(requests))
	}
	// Other namespaces are not selected.
	if _, err := client.CoreV1().ConfigMaps(newNamespace(t)).Create(ctx, forbidden, metav1.CreateOptions{}); err != nil {
		t.Errorf("a configmap in another namespace: %v", err)
	}
	// An update bumps the generation; the same webhooks do not.
	created.Webhooks[0].TimeoutSeconds = ptr.To[int32](5)
	updated, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, created, metav1.UpdateOptions{})
	if err != nil || updated.Generation != 2 {
		t.Fatalf("update: %v %v", err, updated)
	}
}

// A webhook that is down or too slow: failurePolicy Fail refuses the
// request with upstream's error, within the webhook's timeout; Ignore
// lets it through. No request hangs.
func TestAdmissionWebhookFailurePolicy(t *testing.T) {
	ns := newNamespace(t)
	client := shared.Client
	ctx := context.Background()
	release := make(chan struct{})
	slow := startWebhook(t, "slow.test", func(path string, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		if path == "/slow" {
			select {
			case <-release:
			case <-time.After(20 * time.Second):
			}
		}
		return &admissionv1.AdmissionResponse{Allowed: true}
	})
	t.Cleanup(func() { close(release) })
	// A port nothing listens on: a listener opened and closed.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "https://" + closed.Addr().String() + "/down"
	closed.Close()

	hook := func(name, url string, policy admissionregistrationv1.FailurePolicyType, objectLabel string) admissionregistrationv1.ValidatingWebhook {
		return admissionregistrationv1.ValidatingWebhook{
			Name:                    name,
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: ptr.To(url), CABundle: slow.caBundle},
			Rules:                   configMapRules(admissionregistrationv1.Create),
			NamespaceSelector:       inNamespace(ns),
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{"hook": objectLabel}},
			FailurePolicy:           ptr.To(policy),
			TimeoutSeconds:          ptr.To[int32](2),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}
	}
	config := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: ns + "-failing"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			hook("down-fail.kybernetes.test", downURL, admissionregistrationv1.Fail, "down-fail"),
			hook("down-ignore.kybernetes.test", downURL, admissionregistrationv1.Ignore, "down-ignore"),
			hook("slow-fail.kybernetes.test", slow.URL+"/slow", admissionregistrationv1.Fail, "slow-fail"),
			hook("fast.kybernetes.test", slow.URL+"/fast", admissionregistrationv1.Fail, "fast"),
		}}
	if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, config, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, config.Name, metav1.DeleteOptions{})
	})
	labelled := func(name, label string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"hook": label}}}
	}
	// Seen once the working hook has been called for a dry run.
	waitFor(t, "the webhooks to be in force", func(ctx context.Context) bool {
		_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, labelled("probe", "fast"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && len(slow.seen("probe")) > 0
	})

	// A client that would give up long after the webhook's timeout.
	patient := rest.CopyConfig(shared.Config)
	patient.Timeout = 15 * time.Second
	patientClient := kubernetes.NewForConfigOrDie(patient)

	_, err = patientClient.CoreV1().ConfigMaps(ns).Create(ctx, labelled("down-fail", "down-fail"), metav1.CreateOptions{})
	if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), `failed calling webhook "down-fail.kybernetes.test": failed to call webhook: Post "`+downURL+`?timeout=2s"`) ||
		!strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a down webhook with failurePolicy Fail: %v", err)
	}
	if _, err := patientClient.CoreV1().ConfigMaps(ns).Create(ctx, labelled("down-ignore", "down-ignore"), metav1.CreateOptions{}); err != nil {
		t.Errorf("a down webhook with failurePolicy Ignore: %v", err)
	}
	_, err = patientClient.CoreV1().ConfigMaps(ns).Create(ctx, labelled("slow-fail", "slow-fail"), metav1.CreateOptions{})
	if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), `failed calling webhook "slow-fail.kybernetes.test"`) ||
		!strings.Contains(err.Error(), "context deadline exceeded") {
		t.Errorf("a webhook slower than its timeout: %v", err)
	}
	for _, name := range []string{"down-fail", "slow-fail"} {
		if _, err := client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s was stored: %v", name, err)
		}
	}
}

// Bad webhook configurations are refused with upstream's field paths and
// nothing is stored.
func TestWebhookConfigurationValidation(t *testing.T) {
	client := shared.Client.AdmissionregistrationV1()
	ctx := context.Background()
	bad := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "bad-webhooks"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			{
				Name:         "short",
				ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: ptr.To("http://example.test/x?q=1")},
				Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{"*", "CREATE"},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"*/*", "pods"}}}},
				TimeoutSeconds:  ptr.To[int32](31),
				SideEffects:     ptr.To(admissionregistrationv1.SideEffectClassSome),
				MatchConditions: []admissionregistrationv1.MatchCondition{{Name: "broken", Expression: "object.metadata.name =="}},
			},
			{
				Name:                    "b.kybernetes.test",
				ClientConfig:            admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Name: "x"}},
				SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
				AdmissionReviewVersions: []string{"v2"},
			},
		}}
	_, err := client.ValidatingWebhookConfigurations().Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want 422, got %v", err)
	}
	for _, want := range []string{
		`webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots`,
		`webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
		`webhooks[0].clientConfig.url: Invalid value: "q=1": query parameters are not permitted in the URL`,
		`webhooks[0].rules[0].operations: Invalid value: ["*","CREATE"]: if '*' is present, must not specify other operations`,
		`webhooks[0].rules[0].resources: Invalid value: ["*/*","pods"]: if '*/*' is present, must not specify other resources`,
		`webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds`,
		`webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"`,
		`webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1`,
		`webhooks[0].matchConditions[0].expression: Invalid value: "object.metadata.name ==": compilation failed`,
		`webhooks[1].clientConfig.service.namespace: Required value`,
		`webhooks[1].admissionReviewVersions: Invalid value: ["v2"]: must include at least one of v1, v1beta1`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := client.ValidatingWebhookConfigurations().Get(ctx, bad.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused configuration was stored: %v", err)
	}
	duplicate := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "duplicate-webhooks"}}
	for range 2 {
		duplicate.Webhooks = append(duplicate.Webhooks, admissionregistrationv1.MutatingWebhook{Name: "same.kybernetes.test",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://127.0.0.1:1/")},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"}, ReinvocationPolicy: ptr.To(admissionregistrationv1.ReinvocationPolicyType("Always"))})
	}
	_, err = client.MutatingWebhookConfigurations().Create(ctx, duplicate, metav1.CreateOptions{})
	for _, want := range []string{`webhooks[1].name: Duplicate value: "same.kybernetes.test"`,
		`webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
