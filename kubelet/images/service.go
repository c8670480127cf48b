package images

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Service is what the pod manager asks of a node's images: the store and
// puller on real nodes, Fake on hollow ones.
type Service interface {
	// Get finds a stored image by reference; ErrNotPresent if absent.
	Get(ref string) (Image, error)
	// Pull fetches the image for arch, with the docker configs' credentials.
	Pull(ctx context.Context, ref, arch string, dockerConfigs ...[]byte) (Image, error)
	// List returns the stored images.
	List() ([]Image, error)
}

// Local is a real node's images: the store, filled by the puller.
type Local struct {
	*Store
	Puller *Puller
}

// Pull pulls into the store.
func (l Local) Pull(ctx context.Context, ref, arch string, dockerConfigs ...[]byte) (Image, error) {
	return l.Puller.Pull(ctx, ref, arch, dockerConfigs...)
}

// Fake is the image service of hollow nodes: every pull succeeds at once
// (nothing is fetched or unpacked) and the image is present from then on,
// as kubemark's fake image service. Its images have no content: an
// entrypoint is given so that containers without a command can start.
type Fake struct {
	mu     sync.Mutex
	images map[string]Image // by normalized reference
}

var (
	_ Service = Local{}
	_ Service = (*Fake)(nil)
)

// Get finds an image pulled before.
func (f *Fake) Get(ref string) (Image, error) {
	n, err := Normalize(ref)
	if err != nil {
		return Image{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if img, ok := f.images[n]; ok {
		return img, nil
	}
	return Image{}, fmt.Errorf("%s: %w", ref, ErrNotPresent)
}

// Pull records the image as present.
func (f *Fake) Pull(ctx context.Context, ref, arch string, dockerConfigs ...[]byte) (Image, error) {
	n, err := Normalize(ref)
	if err != nil {
		return Image{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.images == nil {
		f.images = map[string]Image{}
	}
	img := Image{Names: []string{n}, ID: fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(n))),
		Config: v1.Config{Entrypoint: []string{"/hollow"}}}
	f.images[n] = img
	return img, nil
}

// List returns the images pulled, by name.
func (f *Fake) List() ([]Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Image, 0, len(f.images))
	for _, img := range f.images {
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Names[0] < out[j].Names[0] })
	return out, nil
}
