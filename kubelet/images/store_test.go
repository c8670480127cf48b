package images

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	testimages "github.com/kybernetes/kybernetes/test/images"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                    "index.docker.io/library/busybox:latest",
		"busybox:1.36":               "index.docker.io/library/busybox:1.36",
		"example.test/web:1":         "example.test/web:1",
		"localhost:5000/app":         "localhost:5000/app:latest",
		"registry.k8s.io/pause:3.10": "registry.k8s.io/pause:3.10",
	} {
		if got, err := Normalize(in); err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Normalize("UPPER/case"); err == nil {
		t.Error("an invalid reference was accepted")
	}
}

// An imported tarball's image is found by its tag (normalized), unpacked
// once, listed, and removed with its last name.
func TestImportGetRemove(t *testing.T) {
	img, err := testimages.Busybox()
	if err != nil {
		t.Skip(err) // busybox-static not installed here
	}
	dir := t.TempDir()
	tarball, err := testimages.WriteTarball(dir, "example.test/busybox:1", img)
	if err != nil {
		t.Fatal(err)
	}
	store, err := Open(filepath.Join(dir, "root"))
	if err != nil {
		t.Fatal(err)
	}
	imported, err := store.ImportTarball(tarball)
	if err != nil {
		t.Fatal(err)
	}
	if len(imported) != 1 || imported[0].Names[0] != "example.test/busybox:1" {
		t.Fatalf("imported %+v", imported)
	}
	got, err := store.Get("example.test/busybox:1")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(got.RootFS, "bin", "busybox")); err != nil || info.Mode()&0o111 == 0 {
		t.Fatalf("unpacked rootfs lacks an executable busybox: %v", err)
	}
	if target, err := os.Readlink(filepath.Join(got.RootFS, "bin", "sh")); err != nil || target != "busybox" {
		t.Fatalf("bin/sh: %q %v", target, err)
	}
	if len(got.Config.Cmd) != 1 || got.Config.Cmd[0] != "sh" {
		t.Fatalf("config %+v", got.Config)
	}
	if _, err := store.Get("example.test/other:1"); !errors.Is(err, ErrNotPresent) {
		t.Fatalf("missing image: %v", err)
	}
	if err := store.Remove("example.test/busybox:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(got.RootFS); !os.IsNotExist(err) {
		t.Fatalf("the unpacked image outlived its last name: %v", err)
	}
}

// An OCI layout tarball (as `docker buildx --output type=oci`, skopeo or
// `ctr export` write) imports under the name its index annotates.
func TestImportOCILayout(t *testing.T) {
	img, err := testimages.Busybox()
	if err != nil {
		t.Skip(err) // busybox-static not installed here
	}
	dir := t.TempDir()
	layoutDir := filepath.Join(dir, "layout")
	p, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{ociRefName: "example.test/oci:2"})); err != nil {
		t.Fatal(err)
	}
	// An unnamed image beside it is left out.
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(dir, "oci.tar")
	if out, err := exec.Command("tar", "-C", layoutDir, "-cf", tarPath, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	store, err := Open(filepath.Join(dir, "root"))
	if err != nil {
		t.Fatal(err)
	}
	imported, err := store.ImportTarball(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(imported) != 1 || imported[0].Names[0] != "example.test/oci:2" {
		t.Fatalf("imported %+v", imported)
	}
	got, err := store.Get("example.test/oci:2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(got.RootFS, "bin", "busybox")); err != nil {
		t.Fatalf("unpacked rootfs: %v", err)
	}
	_ = filepath.WalkDir(filepath.Join(dir, "root"), func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".import-") {
			t.Errorf("scratch directory left: %s", path)
		}
		return err
	})
}
