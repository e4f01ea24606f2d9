//go:build unix

package tail

import (
	"os"
	"syscall"
)

// idOf returns the device and inode of a file, which stay the same across a
// rename and differ between two files that exist at once.
func idOf(fi os.FileInfo) fileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}
	}
	return fileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)} //nolint:unconvert // types differ by platform
}
