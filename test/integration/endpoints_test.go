package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kybernetes/kybernetes/test/integration/framework"
)

func getRaw(t *testing.T, path string, accept string) string {
	t.Helper()
	path, query, _ := strings.Cut(path, "?")
	req := shared.Client.CoreV1().RESTClient().Get().AbsPath(path)
	if query != "" {
		req = req.Param(query, "true")
	}
	if accept != "" {
		req = req.SetHeader("Accept", accept)
	}
	body, err := req.DoRaw(context.Background())
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return string(body)
}

func TestHealthVersionAndMetrics(t *testing.T) {
	for _, path := range []string{"/healthz", "/livez", "/readyz"} {
		if got := getRaw(t, path, ""); got != "ok" {
			t.Errorf("%s: %q", path, got)
		}
	}
	// Every readiness check is listed, the bootstrap of system namespaces among them.
	mustHave(t, getRaw(t, "/readyz?verbose", ""), "[+]etcd ok", "[+]poststarthook/kybernetes-bootstrap ok")

	var version struct{ Major, Minor, GitVersion string }
	if err := json.Unmarshal([]byte(getRaw(t, "/version", "")), &version); err != nil {
		t.Fatal(err)
	}
	if version.Major != "1" || version.Minor != "37" {
		t.Fatalf("/version: %+v", version)
	}

}

// TestMetrics runs on a server of its own: the storage-size metrics are
// process-wide and follow the server started last, and gathering them from
// a server another test has stopped waits for its closed etcd to time out.
func TestMetrics(t *testing.T) {
	server := framework.Start(t, framework.Setup{WithoutControllers: true})
	body, err := server.Client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mustHave(t, string(body), "apiserver_request_total", "etcd_request_duration_seconds")
}

func TestAggregatedDiscovery(t *testing.T) {
	body := getRaw(t, "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
	var list apidiscoveryv2.APIGroupDiscoveryList
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if list.Kind != "APIGroupDiscoveryList" {
		t.Fatalf("/apis answered %q, not aggregated discovery", list.Kind)
	}
	resources := map[string]bool{}
	for _, group := range list.Items {
		for _, version := range group.Versions {
			for _, r := range version.Resources {
				resources[group.Name+"/"+version.Version+"/"+r.Resource] = true
			}
		}
	}
	for _, want := range []string{"coordination.k8s.io/v1/leases", "events.k8s.io/v1/events", "authentication.k8s.io/v1/selfsubjectreviews"} {
		if !resources[want] {
			t.Errorf("aggregated discovery lacks %s", want)
		}
	}
}

func mustHave(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Fatalf("response lacks %q", w)
		}
	}
}

func TestComponentStatuses(t *testing.T) {
	list, err := shared.Client.CoreV1().ComponentStatuses().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	health := map[string]corev1.ConditionStatus{}
	for _, cs := range list.Items {
		health[cs.Name] = cs.Conditions[0].Status
	}
	// etcd answers; the scheduler and controller manager serve no health
	// endpoint yet, so they are reported unhealthy, as upstream would.
	if len(list.Items) != 3 || health["etcd-0"] != corev1.ConditionTrue ||
		health["scheduler"] != corev1.ConditionFalse || health["controller-manager"] != corev1.ConditionFalse {
		t.Fatalf("component statuses: %+v", list.Items)
	}
	if _, err := shared.Client.CoreV1().ComponentStatuses().Get(context.Background(), "nope", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("unknown component: %v", err)
	}
}
