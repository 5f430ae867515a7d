package files

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/meshgate/meshgate/internal/errs"
)

// fileRef is one matched file. rel is the slash-separated path under the root: errors and
// EXPLAIN show it, never the absolute path, so a client learns nothing about the node's
// directory layout.
type fileRef struct {
	abs     string
	rel     string
	size    int64
	modTime time.Time
}

// resolveFiles expands pattern (a file, a directory, or a glob) under root and returns
// the matched regular files sorted by path. format filters directory listings; it may be
// empty when the pattern decides it.
func resolveFiles(root, pattern, format string) ([]fileRef, error) {
	if strings.TrimSpace(pattern) == "" {
		return nil, errs.New(errs.KindInvalidArgument, "dataset path is empty; bind the dataset to a file, directory or glob under the source root")
	}
	rel, err := relativePattern(root, pattern)
	if err != nil {
		return nil, err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "source root directory cannot be read; check the source option %s", OptionRoot)
	}

	var matches []string
	if !hasGlobMeta(rel) {
		abs := filepath.Join(root, filepath.FromSlash(rel))
		st, statErr := os.Stat(abs)
		switch {
		case statErr != nil:
			return nil, errs.New(errs.KindNotFound, "file %s does not exist under the source root; check the dataset's path", rel)
		case st.IsDir():
			matches, err = listDirectory(abs, format)
			if err != nil {
				return nil, errs.Wrap(errs.KindUnavailable, err, "directory %s cannot be listed", rel)
			}
			if len(matches) == 0 {
				return nil, errs.New(errs.KindNotFound, "directory %s holds no %s files; check the dataset's path and format", rel, formatLabel(format))
			}
		default:
			matches = []string{abs}
		}
	} else {
		matches, err = expandGlob(root, strings.Split(rel, "/"))
		if err != nil {
			return nil, errs.Wrap(errs.KindUnavailable, err, "glob %s cannot be expanded", rel)
		}
		if len(matches) == 0 {
			return nil, errs.New(errs.KindNotFound, "no file matches %s under the source root; check the dataset's path", rel)
		}
	}

	out := make([]fileRef, 0, len(matches))
	for _, abs := range matches {
		relFile := filepath.ToSlash(mustRel(root, abs))
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, errs.Wrap(errs.KindUnavailable, err, "file %s cannot be resolved", relFile)
		}
		if !within(realRoot, real) {
			return nil, errs.New(errs.KindPermissionDenied, "file %s links outside the source root; only files under the root can be read", relFile)
		}
		st, err := os.Stat(real)
		if err != nil {
			return nil, errs.Wrap(errs.KindUnavailable, err, "file %s cannot be read", relFile)
		}
		if !st.Mode().IsRegular() {
			continue
		}
		out = append(out, fileRef{abs: abs, rel: relFile, size: st.Size(), modTime: st.ModTime()})
	}
	if len(out) == 0 {
		return nil, errs.New(errs.KindNotFound, "no regular file matches %s under the source root; check the dataset's path", rel)
	}
	slices.SortFunc(out, func(a, b fileRef) int { return strings.Compare(a.rel, b.rel) })
	return out, nil
}

// relativePattern returns pattern as a clean slash-separated path relative to root, or
// PermissionDenied when it leaves the root (`..`, or an absolute path elsewhere).
func relativePattern(root, pattern string) (string, error) {
	p := filepath.FromSlash(pattern)
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	p = filepath.Clean(p)
	if !within(root, p) {
		return "", errs.New(errs.KindPermissionDenied, "dataset path %s leaves the source root; paths must stay under the root (no ..)", pattern)
	}
	rel := filepath.ToSlash(mustRel(root, p))
	if rel == "." {
		return "", errs.New(errs.KindInvalidArgument, "dataset path %s names the source root itself; name a file, directory or glob under it", pattern)
	}
	return rel, nil
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func mustRel(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return rel
}

func hasGlobMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// hidden names are skipped by directory listings and by wildcards, as Spark and Hive
// writers leave _SUCCESS, _metadata and .crc files next to the data.
func hidden(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

// listDirectory lists the files of the format under dir, recursively (Hive-style
// partition directories such as year=2024/ are common), skipping hidden entries and not
// following symbolic links to directories.
func listDirectory(dir, format string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if hidden(e.Name()) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		f := formatOfName(e.Name())
		if f != "" && (format == "" || f == format) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// expandGlob matches segs (slash-separated pattern segments) against the tree under dir.
// `**` matches zero or more directories; other segments use path.Match.
func expandGlob(dir string, segs []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	var walk func(dir string, segs []string) error
	walk = func(dir string, segs []string) error {
		if len(segs) == 0 {
			return nil
		}
		seg, rest := segs[0], segs[1:]
		if seg == "**" {
			if len(rest) == 0 {
				// A trailing ** means every file below dir.
				rest = []string{"*"}
			}
			if err := walk(dir, rest); err != nil {
				return err
			}
			entries, err := readDirIfExists(dir)
			if err != nil {
				return err
			}
			for _, e := range entries {
				// ** does not follow symbolic links, so a link cycle cannot loop it.
				if e.IsDir() && !hidden(e.Name()) {
					if err := walk(filepath.Join(dir, e.Name()), segs); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if !hasGlobMeta(seg) {
			next := filepath.Join(dir, seg)
			if len(rest) == 0 {
				if !seen[next] {
					if st, err := os.Stat(next); err == nil && st.Mode().IsRegular() {
						seen[next] = true
						out = append(out, next)
					}
				}
				return nil
			}
			return walk(next, rest)
		}
		if _, err := path.Match(seg, ""); err != nil {
			return errs.New(errs.KindInvalidArgument, "glob segment %s is malformed", seg)
		}
		entries, err := readDirIfExists(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if hidden(name) && !hidden(seg) {
				continue
			}
			if ok, _ := path.Match(seg, name); !ok {
				continue
			}
			next := filepath.Join(dir, name)
			if len(rest) == 0 {
				if !isDirEntryDir(dir, e) && !seen[next] {
					seen[next] = true
					out = append(out, next)
				}
				continue
			}
			if isDirEntryDir(dir, e) {
				if err := walk(next, rest); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(dir, segs); err != nil {
		return nil, err
	}
	return out, nil
}

func readDirIfExists(dir string) ([]fs.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && (os.IsNotExist(err) || isNotDir(err)) {
		return nil, nil
	}
	return entries, err
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// isDirEntryDir follows symbolic links, so a linked partition directory is walked too (the
// caller checks that every file found stays under the root).
func isDirEntryDir(dir string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}

func formatLabel(format string) string {
	if format == "" {
		return "parquet, csv or arrow"
	}
	return format
}
