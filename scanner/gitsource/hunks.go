package gitsource

import (
	"strconv"
	"strings"
)

// lineRange is the lines [start, start+count) of a file.
type lineRange struct{ start, count int }

// lineSet is a list of line ranges.
type lineSet []lineRange

func (s lineSet) has(line int) bool {
	for _, r := range s {
		if line >= r.start && line < r.start+r.count {
			return true
		}
	}
	return false
}

// parseHunks returns the new-side ranges of the hunk headers
// ("@@ -a[,b] +c[,d] @@") of a unified diff. Content lines always start
// with ' ', '+', '-' or '\', so only headers start with "@@ ".
func parseHunks(diff string) lineSet {
	var s lineSet
	for line := range strings.SplitSeq(diff, "\n") {
		if r, ok := parseHunkHeader(line); ok && r.count > 0 {
			s = append(s, r)
		}
	}
	return s
}

// parseHunkHeader parses the new range of one hunk header.
func parseHunkHeader(line string) (lineRange, bool) {
	rest, ok := strings.CutPrefix(line, "@@ -")
	if !ok {
		return lineRange{}, false
	}
	_, rest, ok = strings.Cut(rest, " +")
	if !ok {
		return lineRange{}, false
	}
	spec, _, ok := strings.Cut(rest, " @@")
	if !ok {
		return lineRange{}, false
	}
	startText, countText, hasCount := strings.Cut(spec, ",")
	start, err := strconv.Atoi(startText)
	if err != nil || start < 0 {
		return lineRange{}, false
	}
	count := 1
	if hasCount {
		if count, err = strconv.Atoi(countText); err != nil || count < 0 {
			return lineRange{}, false
		}
	}
	return lineRange{start: start, count: count}, true
}
