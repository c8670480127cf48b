package registry

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// Every group version the chain serves behind the aggregator has its
// APIService priority: one without would fail the start.
func TestEveryServedGroupHasAPriority(t *testing.T) {
	for _, gv := range append(servedGroupVersions, apiextensionsv1.SchemeGroupVersion) {
		if _, err := localAPIService(gv); err != nil {
			t.Error(err)
		}
	}
	paths := []string{"/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/healthz", "/apis/batch/v1"}
	got := listedGroupVersions(paths)
	if len(got) != 3 || got[0].String() != "v1" || got[1].String() != "apps/v1" || got[2].String() != "batch/v1" {
		t.Errorf("listed group versions of %v: %v", paths, got)
	}
}
