//go:build unix

package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// filesystemFreeBytes returns the bytes an unprivileged process may still
// write on the filesystem holding dir (blocks reserved for root excluded).
func filesystemFreeBytes(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), //nolint:gosec // block counts fit in int64
		nil
}

// allocatedBytes returns the disk a file takes (its allocated blocks: a
// database file grown by truncation is sparse until pages are written).
func allocatedBytes(path string) (int64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512, nil
	}
	return info.Size(), nil
}
