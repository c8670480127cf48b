package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"

	"k8s.io/client-go/util/keyutil"
)

// EnsureKey loads the signing key at path, making it (P-256, 0600) on
// first start; tokens outlive restarts because the key does.
func EnsureKey(path string) (*ecdsa.PrivateKey, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		pem, err := keyutil.MarshalPrivateKeyToPEM(key)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, pem, 0o600); err != nil {
			return nil, err
		}
	}
	parsed, err := keyutil.PrivateKeyFromFile(path)
	if err != nil {
		return nil, err
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s: the service account signing key must be an ECDSA P-256 key", path)
	}
	return key, nil
}

// KeyID names a public key as upstream does: the unpadded base64url of
// the SHA-256 of its DER encoding.
func KeyID(key *ecdsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
