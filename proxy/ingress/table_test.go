package ingress

import (
	"crypto/tls"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestRoutesMatchAsTheSpecificationSays(t *testing.T) {
	b := func(name string) *backend { return &backend{name: name} }
	exact, prefix := networkingv1.PathTypeExact, networkingv1.PathTypePrefix
	tbl := &table{hosts: map[string][]route{
		"foo.example": {
			{pathType: prefix, path: "/", backend: b("foo-root")},
			{pathType: prefix, path: "/api/", backend: b("foo-api")},
			{pathType: exact, path: "/api", backend: b("foo-api-exact")},
			{pathType: prefix, path: "/api/v2", backend: b("foo-api-v2")},
		},
		"*.wild.example": {{pathType: prefix, path: "/", backend: b("wild")}},
		"":               {{pathType: prefix, path: "/shared", backend: b("any-host")}},
	}, fallback: b("default")}
	for _, tc := range []struct{ host, path, want string }{
		{"foo.example", "/", "foo-root"},
		{"FOO.example:8080", "/x", "foo-root"},
		{"foo.example", "/api", "foo-api-exact"}, // Exact wins over the Prefix of the same path
		{"foo.example", "/api/", "foo-api"},
		{"foo.example", "/api/v1/users", "foo-api"},
		{"foo.example", "/api/v2", "foo-api-v2"}, // the longest prefix
		{"foo.example", "/api/v2/x", "foo-api-v2"},
		{"foo.example", "/api/v2x", "foo-api"}, // element-wise, not string prefix
		{"a.wild.example", "/z", "wild"},
		{"a.b.wild.example", "/z", "default"}, // a wildcard covers one label
		{"wild.example", "/z", "default"},
		{"other.example", "/shared/x", "any-host"},
		{"other.example", "/sharedx", "default"},
		{"foo.example", "/shared", "foo-root"}, // the host's own rules come first
	} {
		got := tbl.match(tc.host, tc.path)
		if got == nil || got.name != tc.want {
			t.Errorf("%s%s -> %v, want %s", tc.host, tc.path, got, tc.want)
		}
	}
	tbl.fallback = nil
	if got := tbl.match("nowhere.example", "/"); got != nil {
		t.Errorf("no rule and no default backend: %v, want none (404)", got.name)
	}
}

func TestBackendsTakeTheirEndpointsInTurn(t *testing.T) {
	be := &backend{endpoints: []string{"10.0.0.1:80", "10.0.0.2:80"}}
	seen := map[string]int{}
	for range 10 {
		ep, ok := be.pick()
		if !ok {
			t.Fatal("no endpoint")
		}
		seen[ep]++
	}
	if seen["10.0.0.1:80"] != 5 || seen["10.0.0.2:80"] != 5 {
		t.Errorf("picks: %v", seen)
	}
	if _, ok := (&backend{}).pick(); ok {
		t.Error("an endpoint from an empty backend")
	}
}

func TestCertificatesByServerName(t *testing.T) {
	own, wild := &tls.Certificate{}, &tls.Certificate{}
	tbl := &table{certs: map[string]*tls.Certificate{"foo.example": own, "*.example": wild}}
	if tbl.certificate("FOO.example") != own || tbl.certificate("bar.example") != wild || tbl.certificate("a.bar.example") != nil {
		t.Error("certificates picked wrongly")
	}
}
