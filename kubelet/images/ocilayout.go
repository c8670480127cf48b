package images

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// Annotations that name an image in an OCI layout's index: containerd's
// (the full reference) and the OCI one (a full reference or a tag).
const (
	containerdImageName = "io.containerd.image.name"
	ociRefName          = "org.opencontainers.image.ref.name"
)

// isOCILayout says whether the tarball is an OCI image layout (it has an
// oci-layout file at its top).
func isOCILayout(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if strings.TrimPrefix(h.Name, "./") == "oci-layout" {
			return true, nil
		}
	}
}

// importOCILayout imports the named images of an OCI layout tarball: it is
// unpacked into a scratch directory (entries that would leave it are
// refused), and each manifest of its index that carries a name is stored
// under it; an image index (several platforms) gives this node's platform.
func (s *Store) importOCILayout(path string) ([]Image, error) {
	dir, err := os.MkdirTemp(s.dir, ".import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := untarLayout(path, dir); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	index, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s as an OCI layout: %w", path, err)
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []Image
	for _, desc := range manifest.Manifests {
		ref := desc.Annotations[containerdImageName]
		if ref == "" {
			ref = desc.Annotations[ociRefName]
		}
		if _, err := name.NewTag(ref, name.WeakValidation); err != nil || !strings.Contains(ref, ":") {
			continue // unnamed, or only a tag: a pod could not name it
		}
		img, err := platformImage(index, desc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		stored, err := s.Put(img, ref)
		if err != nil {
			return nil, err
		}
		out = append(out, stored)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no image in the layout's index is named (%s or %s annotation with a full reference)", path, containerdImageName, ociRefName)
	}
	return out, nil
}

// platformImage is the image desc names, choosing linux and this node's
// architecture inside an image index.
func platformImage(index v1.ImageIndex, desc v1.Descriptor) (v1.Image, error) {
	if !desc.MediaType.IsIndex() {
		return index.Image(desc.Digest)
	}
	child, err := index.ImageIndex(desc.Digest)
	if err != nil {
		return nil, err
	}
	m, err := child.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == goruntime.GOARCH {
			return child.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("no linux/%s image in the index", goruntime.GOARCH)
}

// untarLayout unpacks the regular files and directories of an OCI layout
// tarball under dir.
func untarLayout(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		clean := filepath.Clean("/" + h.Name)
		if clean == "/" {
			continue
		}
		target := filepath.Join(dir, clean)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			out.Close()
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %s: links and special files have no place in an OCI layout", h.Name)
		}
	}
}
