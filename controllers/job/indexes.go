package job

import (
	"slices"
	"strconv"
	"strings"
)

// indexSet is a set of completion indexes, written in status.completedIndexes
// as upstream writes it: ascending, runs of consecutive indexes as "a-b",
// separated by commas ("0-2,5,7-8").
type indexSet map[int]bool

// parseIndexes reads a completedIndexes string; indexes at or beyond
// completions, and anything malformed, are ignored.
func parseIndexes(s string, completions int) indexSet {
	out := indexSet{}
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		first, last, isRange := strings.Cut(part, "-")
		lo, err := strconv.Atoi(first)
		if err != nil {
			continue
		}
		hi := lo
		if isRange {
			if hi, err = strconv.Atoi(last); err != nil {
				continue
			}
		}
		for i := lo; i <= hi && i < completions; i++ {
			if i >= 0 {
				out[i] = true
			}
		}
	}
	return out
}

func (s indexSet) String() string {
	indexes := make([]int, 0, len(s))
	for i := range s {
		indexes = append(indexes, i)
	}
	slices.Sort(indexes)
	var parts []string
	for start := 0; start < len(indexes); {
		end := start
		for end+1 < len(indexes) && indexes[end+1] == indexes[end]+1 {
			end++
		}
		part := strconv.Itoa(indexes[start])
		if end > start {
			part += "-" + strconv.Itoa(indexes[end])
		}
		parts = append(parts, part)
		start = end + 1
	}
	return strings.Join(parts, ",")
}
