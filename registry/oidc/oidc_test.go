package oidc

import (
	"testing"
)

func TestUsernamePrefix(t *testing.T) {
	for _, tc := range []struct{ claim, prefix, want string }{
		{"sub", "", "https://issuer.example#"},
		{"email", "", ""},
		{"sub", "-", ""},
		{"sub", "corp:", "corp:"},
	} {
		o := Defaults()
		o.IssuerURL, o.ClientID, o.UsernameClaim, o.UsernamePrefix = "https://issuer.example", "k", tc.claim, tc.prefix
		jwt, err := o.JWTAuthenticator()
		if err != nil {
			t.Fatal(err)
		}
		if got := *jwt.ClaimMappings.Username.Prefix; got != tc.want {
			t.Errorf("claim %q prefix %q: got %q, want %q", tc.claim, tc.prefix, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	o := Defaults()
	o.IssuerURL = "https://issuer.example"
	if errs := o.Validate(); len(errs) != 1 || errs[0].Error() != "oidc-issuer-url and oidc-client-id must be specified together" {
		t.Errorf("issuer without client id: %v", errs)
	}
	o.ClientID = "k"
	if errs := o.Validate(); len(errs) != 0 {
		t.Errorf("valid: %v", errs)
	}
}
