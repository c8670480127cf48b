package flowcontrol

import (
	"strings"
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap"
)

func TestNonResourceURLs(t *testing.T) {
	for url, want := range map[string]string{
		"/":          "",
		"/healthz":   "",
		"/healthz/*": "",
		"":           "must not be empty",
		"healthz":    "must start with slash",
		"/a b":       "must not contain white-space",
		"/a//b":      "must not contain double slash",
		"/a/*/b":     "wildcard can only do suffix matching",
		"/a*":        "wildcard can only do suffix matching",
	} {
		if got := nonResourceURLProblem(url); got != want {
			t.Errorf("%q: %q, want %q", url, got, want)
		}
	}
}

// TestBootstrapObjectsValidate: every object the server creates at start
// passes its own validation, defaulted as the server stores it.
func TestBootstrapObjectsValidate(t *testing.T) {
	for _, pl := range append(append([]*flowcontrolv1.PriorityLevelConfiguration{}, bootstrap.MandatoryPriorityLevelConfigurations...), bootstrap.SuggestedPriorityLevelConfigurations...) {
		pl = pl.DeepCopy()
		SetDefaultsPriorityLevelConfiguration(pl)
		if errs := ValidatePriorityLevelConfiguration(pl); len(errs) > 0 {
			t.Errorf("%s: %v", pl.Name, errs)
		}
	}
	for _, fs := range append(append([]*flowcontrolv1.FlowSchema{}, bootstrap.MandatoryFlowSchemas...), bootstrap.SuggestedFlowSchemas...) {
		fs = fs.DeepCopy()
		SetDefaultsFlowSchema(fs)
		if errs := ValidateFlowSchema(fs); len(errs) > 0 {
			t.Errorf("%s: %v", fs.Name, errs)
		}
	}
	catchAll := bootstrap.MandatoryFlowSchemaCatchAll.DeepCopy()
	catchAll.Spec.MatchingPrecedence = 9999
	if errs := ValidateFlowSchema(catchAll); !strings.Contains(errs.ToAggregate().Error(), "spec of 'catch-all' must equal the fixed value") {
		t.Errorf("changed catch-all: %v", errs)
	}
}
