package signer

import (
	"crypto/x509"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/utils/ptr"
)

func TestKeyUsages(t *testing.T) {
	key, ext, err := KeyUsages([]certificatesv1.KeyUsage{"digital signature", "key encipherment", "server auth", "client auth", "client auth"})
	if err != nil {
		t.Fatal(err)
	}
	if key != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Errorf("key usage %v", key)
	}
	if len(ext) != 2 || ext[0] != x509.ExtKeyUsageServerAuth || ext[1] != x509.ExtKeyUsageClientAuth {
		t.Errorf("extended key usages %v", ext)
	}
	if _, _, err := KeyUsages([]certificatesv1.KeyUsage{"telepathy"}); err == nil || err.Error() != `unrecognized usage values: ["telepathy"]` {
		t.Errorf("unknown usage: %v", err)
	}
}

func TestDuration(t *testing.T) {
	c := &Controller{maxDuration: 24 * time.Hour}
	for _, tc := range []struct {
		seconds *int32
		want    time.Duration
	}{
		{nil, 24 * time.Hour},
		{ptr.To[int32](3600), time.Hour},
		{ptr.To[int32](60), 10 * time.Minute},
		{ptr.To[int32](7 * 24 * 3600), 24 * time.Hour},
	} {
		if got := c.duration(tc.seconds); got != tc.want {
			t.Errorf("duration(%v) = %s, want %s", tc.seconds, got, tc.want)
		}
	}
}

func TestAPIServerClientUsages(t *testing.T) {
	for usages, want := range map[string]string{
		"client auth":       "",
		"server auth":       "invalid usage for client certificate: server auth",
		"digital signature": "missing required usage for client certificate: client auth",
	} {
		err := validateAPIServerClientUsages([]certificatesv1.KeyUsage{certificatesv1.KeyUsage(usages)})
		if (err == nil) != (want == "") || err != nil && err.Error() != want {
			t.Errorf("%s: got %v, want %q", usages, err, want)
		}
	}
}
