// Package images is the kubelet's image store: one content-addressed store
// under the kubelet's root directory, shared by all pods. An image is
// unpacked once, into a root filesystem that containers use as the lower
// layer of their own overlay; its config (entrypoint, command, environment,
// working directory, user) is kept beside it.
//
// Layout, under <root-dir>/images:
//
//	names.json           image reference -> config digest
//	<digest>/config.json the image's config file
//	<digest>/rootfs/     the flattened layers
package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"
)

// ErrNotPresent says an image is not in the store.
var ErrNotPresent = errors.New("image not present")

// Store is the image store of one kubelet — or of several: the nodes of
// `kybernetes up` share one, so its names are also locked across
// processes.
type Store struct {
	dir string
	mu  sync.Mutex
}

// lock takes the store's lock (the process's, then the file lock that
// other processes on the store take) and returns its release.
func (s *Store) lock() func() {
	s.mu.Lock()
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil && unix.Flock(int(f.Fd()), unix.LOCK_EX) != nil {
		f.Close()
		f = nil
	}
	return func() {
		if f != nil {
			f.Close() // releases the flock
		}
		s.mu.Unlock()
	}
}

// Image is a stored image.
type Image struct {
	// Names are the references that name it, normalized
	// (index.docker.io/library/busybox:latest).
	Names []string
	// ID is its config digest, "sha256:...", as `crictl images` shows.
	ID     string
	Config v1.Config
	// RootFS is the directory holding its flattened layers.
	RootFS string
	Size   int64
}

// Open returns the store under rootDir/images.
func Open(rootDir string) (*Store, error) {
	dir := filepath.Join(rootDir, "images")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{dir: dir}, nil
}

// Normalize turns an image reference as a pod names it ("busybox",
// "example.test/web:1") into the form the store keys it by, as the
// container runtime does: default registry docker.io, default tag latest.
func Normalize(ref string) (string, error) {
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return "", fmt.Errorf("couldn't parse image name %q: %w", ref, err)
	}
	return r.Name(), nil
}

// ImportTarball stores every image of a `docker save` tarball under the
// tags it carries, and returns them.
func (s *Store) ImportTarball(path string) ([]Image, error) {
	if oci, err := isOCILayout(path); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	} else if oci && !hasDockerManifest(path) {
		return s.importOCILayout(path)
	}
	manifest, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var out []Image
	for _, desc := range manifest {
		if len(desc.RepoTags) == 0 {
			return nil, fmt.Errorf("%s: an image without a tag cannot be named by a pod", path)
		}
		tag, err := name.NewTag(desc.RepoTags[0], name.WeakValidation)
		if err != nil {
			return nil, err
		}
		img, err := tarball.ImageFromPath(path, &tag)
		if err != nil {
			return nil, err
		}
		stored, err := s.Put(img, desc.RepoTags...)
		if err != nil {
			return nil, err
		}
		out = append(out, stored)
	}
	return out, nil
}

// Put stores img under refs, unpacking it unless it is there already.
func (s *Store) Put(img v1.Image, refs ...string) (Image, error) {
	digest, err := img.ConfigName()
	if err != nil {
		return Image{}, err
	}
	config, err := img.ConfigFile()
	if err != nil {
		return Image{}, err
	}
	dir := filepath.Join(s.dir, digest.Hex)
	if _, err := os.Stat(filepath.Join(dir, "config.json")); errors.Is(err, os.ErrNotExist) {
		if err := s.unpack(img, dir, config); err != nil {
			return Image{}, err
		}
	} else if err != nil {
		return Image{}, err
	}
	defer s.lock()()
	names, err := s.names()
	if err != nil {
		return Image{}, err
	}
	for _, ref := range refs {
		n, err := Normalize(ref)
		if err != nil {
			return Image{}, err
		}
		names[n] = digest.String()
	}
	if err := s.writeNames(names); err != nil {
		return Image{}, err
	}
	return s.image(digest.String(), names)
}

// unpack flattens img's layers into dir/rootfs, then writes its config:
// the config is written last, so a present config means a whole rootfs.
func (s *Store) unpack(img v1.Image, dir string, config *v1.ConfigFile) error {
	tmp, err := os.MkdirTemp(s.dir, ".unpack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	flat := mutate.Extract(img)
	defer flat.Close()
	if err := untar(flat, filepath.Join(tmp, "rootfs")); err != nil {
		return fmt.Errorf("unpacking: %w", err)
	}
	// The size is walked once, here: node status lists the images often.
	if err := os.WriteFile(filepath.Join(tmp, "size"), []byte(strconv.FormatInt(dirSize(filepath.Join(tmp, "rootfs")), 10)), 0o600); err != nil {
		return err
	}
	data, err := json.Marshal(config)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "config.json"), data, 0o600); err != nil {
		return err
	}
	// Another kubelet on a shared store may have unpacked it meanwhile: its
	// copy may be in use already, so it stays.
	defer s.lock()()
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		return nil
	}
	_ = os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// Get finds an image by reference.
func (s *Store) Get(ref string) (Image, error) {
	n, err := Normalize(ref)
	if err != nil {
		return Image{}, err
	}
	defer s.lock()()
	names, err := s.names()
	if err != nil {
		return Image{}, err
	}
	digest, ok := names[n]
	if !ok {
		return Image{}, fmt.Errorf("%s: %w", n, ErrNotPresent)
	}
	return s.image(digest, names)
}

// List returns every stored image.
func (s *Store) List() ([]Image, error) {
	defer s.lock()()
	names, err := s.names()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Image
	for _, digest := range names {
		if seen[digest] {
			continue
		}
		seen[digest] = true
		img, err := s.image(digest, names)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Names[0] < out[j].Names[0] })
	return out, nil
}

// Remove forgets ref; the image's files go with its last name.
func (s *Store) Remove(ref string) error {
	n, err := Normalize(ref)
	if err != nil {
		return err
	}
	defer s.lock()()
	names, err := s.names()
	if err != nil {
		return err
	}
	digest, ok := names[n]
	if !ok {
		return fmt.Errorf("%s: %w", n, ErrNotPresent)
	}
	delete(names, n)
	if err := s.writeNames(names); err != nil {
		return err
	}
	for _, d := range names {
		if d == digest {
			return nil
		}
	}
	return os.RemoveAll(filepath.Join(s.dir, strings.TrimPrefix(digest, "sha256:")))
}

// RemoveImage removes the image with config digest id, under all its
// names, as image garbage collection does.
func (s *Store) RemoveImage(id string) error {
	defer s.lock()()
	names, err := s.names()
	if err != nil {
		return err
	}
	for n, d := range names {
		if d == id {
			delete(names, n)
		}
	}
	if err := s.writeNames(names); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(s.dir, strings.TrimPrefix(id, "sha256:")))
}

// Dir is the store's directory, on the file system the images use.
func (s *Store) Dir() string { return s.dir }

func (s *Store) image(digest string, names map[string]string) (Image, error) {
	dir := filepath.Join(s.dir, strings.TrimPrefix(digest, "sha256:"))
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return Image{}, err
	}
	var config v1.ConfigFile
	if err := json.Unmarshal(data, &config); err != nil {
		return Image{}, err
	}
	img := Image{ID: digest, Config: config.Config, RootFS: filepath.Join(dir, "rootfs")}
	for n, d := range names {
		if d == digest {
			img.Names = append(img.Names, n)
		}
	}
	sort.Strings(img.Names)
	if data, err := os.ReadFile(filepath.Join(dir, "size")); err == nil {
		img.Size, _ = strconv.ParseInt(string(data), 10, 64)
	} else {
		img.Size = dirSize(img.RootFS) // unpacked before sizes were kept
	}
	return img, nil
}

func (s *Store) names() (map[string]string, error) {
	names := map[string]string{}
	data, err := os.ReadFile(filepath.Join(s.dir, "names.json"))
	if errors.Is(err, os.ErrNotExist) {
		return names, nil
	}
	if err != nil {
		return nil, err
	}
	return names, json.Unmarshal(data, &names)
}

// writeNames replaces names.json atomically.
func (s *Store) writeNames(names map[string]string) error {
	data, err := json.MarshalIndent(names, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, ".names.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.dir, "names.json"))
}

func dirSize(dir string) int64 {
	var size int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			size += info.Size()
		}
		return nil
	})
	return size
}

// hasDockerManifest says whether a tarball has docker save's manifest.json
// (newer Docker writes it beside an OCI layout; either way works).
func hasDockerManifest(path string) bool {
	_, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	return err == nil
}
