package version

import (
	"testing"

	utilversion "k8s.io/apimachinery/pkg/util/version"
)

// A test binary is built without -ldflags, like `go build`: the version
// must still be a semantic version that clients parse.
func TestVersionParsesWithoutLdflags(t *testing.T) {
	info := Get()
	v, err := utilversion.ParseSemantic(info.GitVersion)
	if err != nil {
		t.Fatalf("GitVersion %q does not parse: %v", info.GitVersion, err)
	}
	if got := v.String(); got != "1.37.2+kyb.0.1.0" {
		t.Errorf("version = %s", got)
	}
	if info.Major != "1" || info.Minor != "37" {
		t.Errorf("major/minor = %s/%s", info.Major, info.Minor)
	}
	if info.GoVersion == "" || info.Platform == "" {
		t.Errorf("go version or platform missing: %+v", info)
	}
}
