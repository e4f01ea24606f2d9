//go:build !unix

package capture // import "github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// statCaptures reads the three files of each named capture folder; see the
// unix version. Folders without a regular meta.json are left out.
func statCaptures(dir *os.File, names []string) ([]captureEntry, error) {
	out := make([]captureEntry, 0, len(names))
	var firstErr error
	for _, name := range names {
		meta, err := os.Lstat(filepath.Join(dir.Name(), name, MetaFile))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		if !meta.Mode().IsRegular() {
			continue
		}
		c := captureEntry{name: name, written: meta.ModTime(), size: meta.Size()}
		for _, f := range [...]string{RequestFile, ResponseFile} {
			if info, err := os.Lstat(filepath.Join(dir.Name(), name, f)); err == nil && info.Mode().IsRegular() {
				c.size += info.Size()
			}
		}
		out = append(out, c)
	}
	return out, firstErr
}

// listDir reads a directory opened through an os.Root.
func listDir(dir *os.File) ([]fs.DirEntry, error) { return dir.ReadDir(-1) }
