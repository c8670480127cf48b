package images

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
)

// TestGCFreesLeastRecentlyUsedDownToTheLowThreshold: above the high
// threshold, unused images go, least recently used first and none younger
// than the minimum age, until use is at the low threshold; when not enough
// can go, upstream's FreeDiskSpaceFailed says how much could.
func TestGCFreesLeastRecentlyUsedDownToTheLowThreshold(t *testing.T) {
	store, err := Open(filepath.Join(t.TempDir(), "root"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	var size int64
	for _, name := range []string{"old", "recent", "running", "young"} {
		img, err := random.Image(100_000, 1)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := store.Put(img, "example.test/"+name+":1")
		if err != nil {
			t.Fatal(err)
		}
		ids[name], size = stored.ID, stored.Size
	}
	if size == 0 {
		t.Fatal("stored images have no size")
	}
	inUse := map[string]bool{ids["recent"]: true, ids["running"]: true}
	var failures []string
	// A disk of 100 images' size with 90 used: to get to 80 %, ten images'
	// worth must go — more than there is to free.
	gc := &GC{Store: store, HighThreshold: 85, LowThreshold: 80, MinAge: time.Minute,
		InUse:  func() map[string]bool { return inUse },
		Failed: func(reason, msg string) { failures = append(failures, reason+": "+msg) },
		Usage:  func() (uint64, uint64, error) { return uint64(100 * size), uint64(10 * size), nil }}

	start := time.Now()
	gc.observe(start.Add(-time.Hour)) // all four seen an hour ago; recent and running in use
	// young came a moment ago: too young to go.
	if err := store.RemoveImage(ids["young"]); err != nil {
		t.Fatal(err)
	}
	young, _ := random.Image(100_000, 1)
	stored, err := store.Put(young, "example.test/young:1")
	if err != nil {
		t.Fatal(err)
	}
	ids["young"] = stored.ID
	inUse = map[string]bool{ids["running"]: true} // recent stopped being used
	gc.observe(start.Add(-time.Second))

	freed, err := gc.Collect(start)
	if err == nil || freed != 2*size {
		t.Fatalf("freed %d (%v), want old and recent (%d bytes) and a failure", freed, err, 2*size)
	}
	want := fmt.Sprintf("FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free %d bytes, but only found %d bytes eligible to free.", 10*size, 2*size)
	if len(failures) != 1 || failures[0] != want {
		t.Errorf("failures %q, want %q", failures, want)
	}
	left, _ := store.List()
	var names []string
	for _, img := range left {
		names = append(names, img.Names...)
	}
	if fmt.Sprint(names) != "[example.test/running:1 example.test/young:1]" {
		t.Errorf("left %v, want the running and the young image", names)
	}

	// Below the high threshold nothing goes.
	gc.Usage = func() (uint64, uint64, error) { return uint64(100 * size), uint64(50 * size), nil }
	if freed, err := gc.Collect(start.Add(time.Hour)); freed != 0 || err != nil {
		t.Errorf("below the threshold: freed %d, %v", freed, err)
	}

	// Least recently used first: with one image's worth to free, of two
	// unused ones the one used longer ago goes.
	inUse = map[string]bool{ids["young"]: true}
	gc.observe(start.Add(2 * time.Hour)) // young in use now; running no more
	inUse = map[string]bool{}
	gc.LowThreshold = 84
	gc.Usage = func() (uint64, uint64, error) { return uint64(100 * size), uint64(15 * size), nil } // 85 %: free 1 %
	if freed, err := gc.Collect(start.Add(3 * time.Hour)); freed != size || err != nil {
		t.Fatalf("freed %d, %v; want one image", freed, err)
	}
	left, _ = store.List()
	if len(left) != 1 || left[0].Names[0] != "example.test/young:1" {
		t.Errorf("left %+v, want young (used more recently than running)", left)
	}
}
