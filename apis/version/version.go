// Package version says which release this binary is, however it was built.
//
// k8s.io/component-base/version is filled only by -ldflags; a plain
// `go build`, `go install` or `go run` leaves it at a placeholder
// ("v0.0.0-master+$Format:%H$") that kubectl and client libraries refuse to
// parse. The release is therefore a constant here, and the commit and tree
// state come from the VCS stamp that `go build` records in the binary (or
// from -ldflags, which take precedence).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"

	apimachineryversion "k8s.io/apimachinery/pkg/version"
)

const (
	// Kubernetes is the upstream release whose API surface and behaviour
	// kybernetes follows.
	Kubernetes = "v1.37.2"
	// Kybernetes is this project's own release.
	Kybernetes = "0.1.0"
	// Major and Minor are Kubernetes' major and minor version.
	Major = "1"
	Minor = "37"
)

// Set by -ldflags "-X github.com/kybernetes/kybernetes/apis/version.gitCommit=..."
// when the build wants to; otherwise read from the binary's build info.
var (
	gitCommit    string
	gitTreeState string
	buildDate    string
)

// GitVersion is the semantic version reported by /version and `kybernetes
// version`: the Kubernetes release with kybernetes' own as build metadata.
func GitVersion() string { return Kubernetes + "+kyb." + Kybernetes }

// Get returns the version information of this binary.
func Get() apimachineryversion.Info {
	commit, treeState, date := gitCommit, gitTreeState, buildDate
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.modified":
				if treeState == "" {
					treeState = map[string]string{"true": "dirty", "false": "clean"}[s.Value]
				}
			case "vcs.time":
				if date == "" {
					date = s.Value
				}
			}
		}
	}
	return apimachineryversion.Info{
		Major:        Major,
		Minor:        Minor,
		GitVersion:   GitVersion(),
		GitCommit:    commit,
		GitTreeState: treeState,
		BuildDate:    date,
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
	}
}
