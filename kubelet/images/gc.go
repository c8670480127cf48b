package images

import (
	"context"
	"fmt"
	"sort"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"
)

// GC is the image garbage collector, as upstream's kubelet has it: every
// period it looks at the image file system, and when its use is at or above
// HighThreshold percent it removes unused images — least recently used
// first, none younger than MinAge — until use is down to LowThreshold.
type GC struct {
	Store                       *Store
	HighThreshold, LowThreshold int
	MinAge                      time.Duration
	// InUse are the IDs of the images the node's containers use.
	InUse func() map[string]bool
	// Failed reports a collection that could not free enough, with
	// upstream's reason (FreeDiskSpaceFailed or ImageGCFailed).
	Failed func(reason, message string)
	// Usage is the file system's capacity and available bytes; statfs of
	// the store's directory unless a test says otherwise.
	Usage func() (capacity, available uint64, err error)

	firstSeen map[string]time.Time
	lastUsed  map[string]time.Time
}

// Run collects every period until ctx ends.
func (g *GC) Run(ctx context.Context, period time.Duration) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		g.observe(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := g.Collect(time.Now()); err != nil {
			klog.ErrorS(err, "image garbage collection")
		}
	}
}

func (g *GC) usage() (uint64, uint64, error) {
	if g.Usage != nil {
		return g.Usage()
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(g.Store.Dir(), &fs); err != nil {
		return 0, 0, err
	}
	return fs.Blocks * uint64(fs.Bsize), fs.Bavail * uint64(fs.Bsize), nil
}

// observe notes the images there are and which are in use now.
func (g *GC) observe(now time.Time) []Image {
	if g.firstSeen == nil {
		g.firstSeen, g.lastUsed = map[string]time.Time{}, map[string]time.Time{}
	}
	list, err := g.Store.List()
	if err != nil {
		return nil
	}
	inUse := g.InUse()
	present := map[string]bool{}
	for _, img := range list {
		present[img.ID] = true
		if _, ok := g.firstSeen[img.ID]; !ok {
			g.firstSeen[img.ID] = now
		}
		if inUse[img.ID] {
			g.lastUsed[img.ID] = now
		}
	}
	for id := range g.firstSeen {
		if !present[id] {
			delete(g.firstSeen, id)
			delete(g.lastUsed, id)
		}
	}
	return list
}

// Collect removes images if the file system is above the high threshold;
// it returns the bytes freed.
func (g *GC) Collect(now time.Time) (int64, error) {
	list := g.observe(now)
	capacity, available, err := g.usage()
	if err != nil || capacity == 0 {
		return 0, err
	}
	used := capacity - available
	if int(used*100/capacity) < g.HighThreshold {
		return 0, nil
	}
	toFree := int64(used) - int64(capacity)*int64(g.LowThreshold)/100
	klog.InfoS("disk usage on the image file system is over the high threshold, trying to free bytes down to the low threshold",
		"usage", used*100/capacity, "highThreshold", g.HighThreshold, "amountToFree", toFree, "lowThreshold", g.LowThreshold)
	inUse := g.InUse()
	var candidates []Image
	for _, img := range list {
		if !inUse[img.ID] && now.Sub(g.firstSeen[img.ID]) >= g.MinAge {
			candidates = append(candidates, img)
		}
	}
	// Least recently used first; never-used ones by when they came.
	sort.SliceStable(candidates, func(i, j int) bool {
		a, b := candidates[i].ID, candidates[j].ID
		if !g.lastUsed[a].Equal(g.lastUsed[b]) {
			return g.lastUsed[a].Before(g.lastUsed[b])
		}
		return g.firstSeen[a].Before(g.firstSeen[b])
	})
	var freed int64
	for _, img := range candidates {
		if freed >= toFree {
			break
		}
		klog.InfoS("removing an image to free disk space", "image", img.ID, "names", img.Names, "size", img.Size)
		if err := g.Store.RemoveImage(img.ID); err != nil {
			if g.Failed != nil {
				g.Failed("ImageGCFailed", err.Error())
			}
			return freed, err
		}
		freed += img.Size
	}
	if freed < toFree {
		msg := fmt.Sprintf("Failed to garbage collect required amount of images. Attempted to free %d bytes, but only found %d bytes eligible to free.", toFree, freed)
		if g.Failed != nil {
			g.Failed("FreeDiskSpaceFailed", msg)
		}
		return freed, fmt.Errorf("%s", msg)
	}
	return freed, nil
}
