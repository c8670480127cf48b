package token

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// Paths of OIDC issuer discovery, upstream's: relying parties verify the
// server's service account tokens with the key set they publish.
const (
	ConfigurationPath = "/.well-known/openid-configuration"
	KeySetPath        = "/openid/v1/jwks"
)

// DiscoveryHandlers serves the issuer's configuration and its key set.
func DiscoveryHandlers(issuer string, key *ecdsa.PublicKey) (configuration, keySet http.Handler, err error) {
	config, err := json.Marshal(map[string]interface{}{
		"issuer":                                issuer,
		"jwks_uri":                              strings.TrimSuffix(issuer, "/") + KeySetPath,
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
	})
	if err != nil {
		return nil, nil, err
	}
	size := (key.Curve.Params().BitSize + 7) / 8
	jwk := map[string]string{
		"use": "sig", "kty": "EC", "kid": KeyID(key), "crv": "P-256", "alg": "ES256",
		"x": base64.RawURLEncoding.EncodeToString(key.X.FillBytes(make([]byte, size))),
		"y": base64.RawURLEncoding.EncodeToString(key.Y.FillBytes(make([]byte, size))),
	}
	keys, err := json.Marshal(map[string]interface{}{"keys": []map[string]string{jwk}})
	if err != nil {
		return nil, nil, err
	}
	serve := func(body []byte, contentType string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet {
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Cache-Control", "public, max-age=3600")
			_, _ = w.Write(body)
		})
	}
	return serve(config, "application/json"), serve(keys, "application/jwk-set+json"), nil
}
