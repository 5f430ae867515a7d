package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a product's semantic version (MAJOR.MINOR.PATCH[-PRERELEASE]). Products are
// served by major version: domain.dataset is the newest served major, domain."dataset@vN"
// pins major N.
type Version struct {
	Major, Minor, Patch int
	Pre                 string
}

// ParseVersion parses a semantic version; a leading "v" is accepted.
func ParseVersion(s string) (Version, error) {
	core := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexByte(core, '+'); i >= 0 {
		core = core[:i] // build metadata does not take part in ordering
	}
	var v Version
	if i := strings.IndexByte(core, '-'); i >= 0 {
		core, v.Pre = core[:i], core[i+1:]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q is not a semantic version MAJOR.MINOR.PATCH such as 1.0.0", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (len(p) > 1 && p[0] == '0') {
			return Version{}, fmt.Errorf("version %q is not a semantic version MAJOR.MINOR.PATCH such as 1.0.0", s)
		}
		*[]*int{&v.Major, &v.Minor, &v.Patch}[i] = n
	}
	return v, nil
}

// Compare orders versions as semantic versioning does: a pre-release comes before its
// release.
func (v Version) Compare(w Version) int {
	for _, d := range [][2]int{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.Pre == w.Pre:
		return 0
	case v.Pre == "":
		return 1
	case w.Pre == "":
		return -1
	case v.Pre < w.Pre:
		return -1
	}
	return 1
}

func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// compareVersions orders version strings, unparsable ones first (by text).
func compareVersions(a, b string) int {
	va, ea := ParseVersion(a)
	vb, eb := ParseVersion(b)
	switch {
	case ea == nil && eb == nil:
		return va.Compare(vb)
	case ea != nil && eb == nil:
		return -1
	case ea == nil && eb != nil:
		return 1
	}
	return strings.Compare(a, b)
}

// splitPinned splits "orders@v2" into ("orders", 2, true).
func splitPinned(name string) (base string, major int, ok bool) {
	base, ver, found := strings.Cut(name, "@")
	if !found {
		return name, 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(ver, "v"))
	if err != nil || n < 0 {
		return base, -1, true
	}
	return base, n, true
}
