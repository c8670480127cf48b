package images

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A layer cannot write outside the root filesystem, by ".." or through a
// symlink it planted.
func TestUntarStaysInside(t *testing.T) {
	for name, entries := range map[string][]tar.Header{
		"dot-dot": {{Name: "../../escape", Typeflag: tar.TypeReg, Mode: 0o644}},
		"symlink": {{Name: "evil", Typeflag: tar.TypeSymlink, Linkname: "/tmp"}, {Name: "evil/escape", Typeflag: tar.TypeReg, Mode: 0o644}},
	} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			h := h
			if err := tw.WriteHeader(&h); err != nil {
				t.Fatal(err)
			}
		}
		tw.Close()
		dir := t.TempDir()
		err := untar(&buf, filepath.Join(dir, "rootfs"))
		if _, statErr := os.Stat(filepath.Join(dir, "escape")); statErr == nil {
			t.Errorf("%s: a file was written outside the root filesystem", name)
		}
		if name == "symlink" && (err == nil || !strings.Contains(err.Error(), "symlink")) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}
