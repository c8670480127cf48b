package registry

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EncryptionConfigFile is the encryption configuration a server writes in
// its data directory when --encryption-provider-config is not given.
const EncryptionConfigFile = "encryption-config.yaml"

// defaultEncryptionConfig is upstream's EncryptionConfiguration encrypting
// Secrets with secretbox (XSalsa20 and Poly1305, upstream's recommended
// local provider) under a key of its own; identity second, so that Secrets
// written before encryption was on still read.
const defaultEncryptionConfig = `# Written by kybernetes: Secrets are encrypted at rest with this key.
# Rotate it as upstream documents: add a new key first, restart, rewrite
# all Secrets (kubectl get secrets -A -o json | kubectl replace -f -),
# then remove the old key.
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources:
  - secrets
  providers:
  - secretbox:
      keys:
      - name: key1
        secret: %s
  - identity: {}
`

// encryptionConfigPath is --encryption-provider-config, or the data
// directory's own configuration, written with a new key the first time.
func (o *Options) encryptionConfigPath() (string, error) {
	if o.Etcd.EncryptionProviderConfigFilepath != "" {
		return o.Etcd.EncryptionProviderConfigFilepath, nil
	}
	path := filepath.Join(o.DataDir, EncryptionConfigFile)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	content := fmt.Sprintf(defaultEncryptionConfig, base64.StdEncoding.EncodeToString(key))
	// Written under a temporary name first: a half-written key would lock
	// the Secrets away for good.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}
