package images

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Puller pulls images from OCI and Docker registries into a store.
type Puller struct {
	Store *Store
	// Insecure are registries (host[:port]) reached over plain HTTP;
	// loopback and private-range registries are anyway, as
	// go-containerregistry decides.
	Insecure []string
	// Config is a docker config.json (`--registry-config`) whose auths are
	// used when a pod's imagePullSecrets have none for the registry.
	Config string
}

// Pull fetches ref (for linux on this machine's architecture) with the
// credentials of the docker configs given (the pod's imagePullSecrets),
// then the puller's own config, and stores it under ref.
func (p *Puller) Pull(ctx context.Context, ref, arch string, dockerConfigs ...[]byte) (Image, error) {
	var opts []name.Option
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return Image{}, err
	}
	for _, insecure := range p.Insecure {
		if r.Context().RegistryStr() == insecure {
			opts = append(opts, name.Insecure)
		}
	}
	if len(opts) > 0 {
		if r, err = name.ParseReference(ref, append(opts, name.WeakValidation)...); err != nil {
			return Image{}, err
		}
	}
	configs := append([][]byte{}, dockerConfigs...)
	if p.Config != "" {
		data, err := os.ReadFile(p.Config)
		if err != nil {
			return Image{}, fmt.Errorf("--registry-config: %w", err)
		}
		configs = append(configs, data)
	}
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(configs)),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: arch}))
	if err != nil {
		return Image{}, err
	}
	return p.Store.Put(img, ref)
}

// keychain finds credentials for a registry in docker config files, in
// order (a pod's own secrets first), as the kubelet does with
// imagePullSecrets; none means anonymous.
type keychain [][]byte

type dockerConfig struct {
	Auths map[string]struct {
		Auth     string `json:"auth"`
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"auths"`
}

func (k keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	registry := target.RegistryStr()
	for _, raw := range k {
		var cfg dockerConfig
		if err := json.Unmarshal(raw, &cfg); err != nil || cfg.Auths == nil {
			// A .dockercfg secret is the auths map itself.
			if err := json.Unmarshal(raw, &cfg.Auths); err != nil {
				continue
			}
		}
		for host, a := range cfg.Auths {
			h := strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
			h = strings.SplitN(h, "/", 2)[0]
			if h == "docker.io" || h == "index.docker.io" {
				h = name.DefaultRegistry
			}
			if h != registry {
				continue
			}
			user, pass := a.Username, a.Password
			if a.Auth != "" {
				if decoded, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
					user, pass, _ = strings.Cut(string(decoded), ":")
				}
			}
			return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass}), nil
		}
	}
	return authn.Anonymous, nil
}
