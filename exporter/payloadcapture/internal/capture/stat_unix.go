//go:build unix

package capture // import "github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// statCaptures reads the three files of each named capture folder with
// fstatat relative to the open date folder: three system calls a capture
// and no path resolution from the root, which keeps a walk over 100,000
// captures well inside the sweep budget. Folders without a regular
// meta.json are left out. AT_SYMLINK_NOFOLLOW keeps the last component from
// being followed; the folder component was seen as a real directory in the
// date folder's listing.
func statCaptures(dir *os.File, names []string) ([]captureEntry, error) {
	rc, err := dir.SyscallConn()
	if err != nil {
		return nil, err
	}
	out := make([]captureEntry, 0, len(names))
	var statErr error
	ctlErr := rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		for _, name := range names {
			if err := unix.Fstatat(int(fd), name+"/"+MetaFile, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) && statErr == nil {
					statErr = &fs.PathError{Op: "fstatat", Path: name + "/" + MetaFile, Err: err}
				}
				continue
			}
			if st.Mode&unix.S_IFMT != unix.S_IFREG {
				continue
			}
			c := captureEntry{name: name, written: time.Unix(st.Mtim.Unix()), size: st.Size}
			for _, f := range [...]string{RequestFile, ResponseFile} {
				if err := unix.Fstatat(int(fd), name+"/"+f, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
					c.size += st.Size
				}
			}
			out = append(out, c)
		}
	})
	if ctlErr != nil {
		return nil, ctlErr
	}
	return out, statErr
}

// listDir reads a directory opened through an os.Root. Go looks up every
// entry of such a directory with lstat when listing it, which would add a
// fourth system call per capture; a duplicate of the descriptor opened
// outside the Root lists with the entry types the kernel returns, for free.
// The duplicate refers to the same, already validated directory.
func listDir(dir *os.File) ([]fs.DirEntry, error) {
	rc, err := dir.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup := -1
	var dupErr error
	if err := rc.Control(func(fd uintptr) { dup, dupErr = unix.Dup(int(fd)) }); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return dir.ReadDir(-1)
	}
	plain := os.NewFile(uintptr(dup), dir.Name())
	defer plain.Close()
	return plain.ReadDir(-1)
}
