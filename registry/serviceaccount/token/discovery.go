package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
)

// Paths of OIDC issuer discovery, upstream's: relying parties verify the
// server's service account tokens with the key set they publish.
const (
	ConfigurationPath = "/.well-known/openid-configuration"
	KeySetPath        = "/openid/v1/jwks"
)

// DiscoveryHandlers serves the issuer's configuration and its key set:
// every key tokens are verified with.
func DiscoveryHandlers(issuer string, keys []crypto.PublicKey) (configuration, keySet http.Handler, err error) {
	config, err := json.Marshal(map[string]interface{}{
		"issuer":                                issuer,
		"jwks_uri":                              strings.TrimSuffix(issuer, "/") + KeySetPath,
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": algorithms(keys),
	})
	if err != nil {
		return nil, nil, err
	}
	var jwks []map[string]string
	for _, key := range keys {
		jwks = append(jwks, jwk(key))
	}
	keySetBody, err := json.Marshal(map[string]interface{}{"keys": jwks})
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
	return serve(config, "application/json"), serve(keySetBody, "application/jwk-set+json"), nil
}

// jwk is a public key as a JSON Web Key.
func jwk(key crypto.PublicKey) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		return map[string]string{"use": "sig", "kty": "EC", "kid": KeyID(k), "crv": "P-256", "alg": "ES256",
			"x": b64(k.X.FillBytes(make([]byte, size))), "y": b64(k.Y.FillBytes(make([]byte, size)))}
	case *rsa.PublicKey:
		return map[string]string{"use": "sig", "kty": "RSA", "kid": KeyID(k), "alg": "RS256",
			"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	}
	return nil
}

// algorithms are the JWT algorithms of keys, each once.
func algorithms(keys []crypto.PublicKey) []string {
	var out []string
	for _, k := range keys {
		if m, err := method(k); err == nil && !slices.Contains(out, m.Alg()) {
			out = append(out, m.Alg())
		}
	}
	return out
}
