//go:build !unix

package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"

import (
	"errors"
	"os"
)

// filesystemFreeBytes is not implemented here: free space is unknown, so no
// item is refused for lack of it (failed writes are still retried).
func filesystemFreeBytes(string) (int64, error) {
	return 0, errors.New("free space is not measured on this platform")
}

// allocatedBytes returns the size of a file.
func allocatedBytes(path string) (int64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}
