// Package images builds the container images tests run, from what this
// machine has: Debian's busybox-static (a shell and the usual tools in one
// static binary) and small static Go programs of the tests' own, built
// here. No test pulls from the internet.
package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// BusyboxPaths are where busybox-static may be installed.
var BusyboxPaths = []string{"/bin/busybox", "/usr/bin/busybox"}

// busyboxApplets are the commands the image links to busybox.
var busyboxApplets = []string{"sh", "echo", "cat", "sleep", "ls", "env", "hostname", "id", "ip", "wget", "nc", "nslookup", "httpd", "true", "false", "grep", "mount", "ps", "kill", "touch", "mkdir", "tty", "stty", "tar", "dd"}

// Busybox returns an image of busybox-static: /bin/busybox with its
// applets linked in /bin, command `sh`.
func Busybox() (v1.Image, error) {
	var src string
	for _, p := range BusyboxPaths {
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			src = p
			break
		}
	}
	if src == "" {
		return nil, fmt.Errorf("busybox not found in %v (apt-get install busybox-static)", BusyboxPaths)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, dir := range []string{"bin/", "etc/", "tmp/", "root/"} {
		mode := int64(0o755)
		if dir == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: mode}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	for _, applet := range busyboxApplets {
		if err := tw.WriteHeader(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}); err != nil {
			return nil, err
		}
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
	if err := tw.WriteHeader(&tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(passwd))}); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(tw, passwd); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layerData := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerData)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	return mutate.Config(img, v1.Config{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}})
}

// WriteTarball saves img as a `docker save` tarball tagged ref in dir and
// returns its path.
func WriteTarball(dir, ref string, img v1.Image) (string, error) {
	tag, err := name.NewTag(ref, name.WeakValidation)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "image.tar")
	return path, tarball.WriteToFile(path, tag, img)
}

// WithGoProgram adds the Go command pkg (an import path of this module),
// built static for Linux, to img as /bin/<name>: test images with
// programs of the tests' own, built from source on this machine.
func WithGoProgram(img v1.Image, pkg, name string) (v1.Image, error) {
	dir, err := os.MkdirTemp("", "kybernetes-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	binary := filepath.Join(dir, name)
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binary, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "bin/" + name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layerData := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerData)), nil })
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(img, layer)
}
