package runtime

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRootfsOverlayAndCopy: both ways of making a container's root
// filesystem show the image's files, with their modes, links and owners,
// and keep the container's writes out of the image.
func TestRootfsOverlayAndCopy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounts overlays and keeps file owners: needs root (runs in CI as root)")
	}
	image := t.TempDir()
	if err := os.MkdirAll(filepath.Join(image, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(image, "bin", "tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("tool", filepath.Join(image, "bin", "alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(filepath.Join(image, "bin", "tool"), 1000, 1000); err != nil {
		t.Fatal(err)
	}
	for _, overlay := range []bool{true, false} {
		bundle := t.TempDir()
		rootfs, err := prepareRootfs(image, bundle, overlay)
		if err != nil {
			t.Fatalf("overlay %t: %v", overlay, err)
		}
		if overlay {
			t.Cleanup(func() { _ = unix.Unmount(rootfs, unix.MNT_DETACH) })
		}
		info, err := os.Stat(filepath.Join(rootfs, "bin", "tool"))
		if err != nil || info.Mode().Perm() != 0o755 {
			t.Errorf("overlay %t: the image's file: %v %v", overlay, info, err)
		} else if st := info.Sys().(*syscall.Stat_t); st.Uid != 1000 {
			t.Errorf("overlay %t: owner %d, want 1000", overlay, st.Uid)
		}
		if target, err := os.Readlink(filepath.Join(rootfs, "bin", "alias")); err != nil || target != "tool" {
			t.Errorf("overlay %t: the symlink: %q %v", overlay, target, err)
		}
		if err := os.WriteFile(filepath.Join(rootfs, "written"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(image, "written")); err == nil {
			t.Errorf("overlay %t: the container's write reached the image", overlay)
		}
	}
}
