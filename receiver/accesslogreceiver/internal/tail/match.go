package tail

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// match returns the paths matched by Include and not by Exclude, sorted.
func (t *Tailer) match() ([]string, []FileError) {
	seen := map[string]bool{}
	var out []string
	var errs []FileError
	for _, pat := range t.cfg.Include {
		ms, err := filepath.Glob(pat)
		if err != nil {
			errs = append(errs, FileError{Path: pat, Err: err})
			continue
		}
		for _, m := range ms {
			if seen[m] || t.excluded(m) {
				continue
			}
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out, errs
}

func (t *Tailer) excluded(p string) bool {
	for _, ex := range t.cfg.Exclude {
		if ok, _ := filepath.Match(ex, p); ok {
			return true
		}
		if ok, _ := filepath.Match(ex, filepath.Base(p)); ok && !strings.Contains(ex, string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// window returns the paths to open in this poll, at most MaxOpenFiles of
// them taken round-robin, and the set of those left for a later poll.
func (t *Tailer) window(paths []string) (open []string, deferred map[string]bool) {
	deferred = map[string]bool{}
	if len(paths) <= t.cfg.MaxOpenFiles {
		return paths, deferred
	}
	start := t.rr % len(paths)
	open = make([]string, 0, t.cfg.MaxOpenFiles)
	for i := range len(paths) {
		p := paths[(start+i)%len(paths)]
		if i < t.cfg.MaxOpenFiles {
			open = append(open, p)
			continue
		}
		deferred[p] = true
		t.noteStartup(p)
	}
	t.rr = start + t.cfg.MaxOpenFiles
	return open, deferred
}

// noteStartup remembers p, present at the first poll but left for a later
// one, so that start_at end applies to it too.
func (t *Tailer) noteStartup(p string) {
	if t.polled || t.startup == nil {
		return
	}
	// Empty or unreadable files are not at their end: skipped now, read from
	// their start when they can be.
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		t.startup[p] = idOf(fi)
	}
}
