package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"

	"github.com/golang-jwt/jwt/v5"
	"k8s.io/client-go/util/keyutil"
)

// EnsureKey makes the default signing key at path (P-256, 0600) on first
// start and loads it; tokens outlive restarts because the key does.
func EnsureKey(path string) (crypto.Signer, error) {
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
	return LoadSigningKey(path)
}

// LoadSigningKey loads an ECDSA P-256 or RSA private key
// (--service-account-signing-key-file).
func LoadSigningKey(path string) (crypto.Signer, error) {
	parsed, err := keyutil.PrivateKeyFromFile(path)
	if err != nil {
		return nil, err
	}
	switch key := parsed.(type) {
	case *ecdsa.PrivateKey:
		if key.Curve == elliptic.P256() {
			return key, nil
		}
	case *rsa.PrivateKey:
		return key, nil
	}
	return nil, fmt.Errorf("%s: a service account signing key must be an ECDSA P-256 or an RSA key", path)
}

// LoadPublicKeys loads the keys of --service-account-key-file: public or
// private keys, PEM, several per file.
func LoadPublicKeys(paths []string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for _, path := range paths {
		found, err := keyutil.PublicKeysFromFile(path)
		if err != nil {
			return nil, err
		}
		for _, k := range found {
			if _, err := method(k); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// method is the JWT algorithm of a key: ES256 or RS256.
func method(key crypto.PublicKey) (jwt.SigningMethod, error) {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return jwt.SigningMethodES256, nil
		}
	case *rsa.PublicKey:
		return jwt.SigningMethodRS256, nil
	}
	return nil, fmt.Errorf("unsupported service account key type %T (ECDSA P-256 or RSA)", key)
}

// KeyID names a public key as upstream does: the unpadded base64url of
// the SHA-256 of its DER encoding.
func KeyID(key crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
