package capture // import "github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"

import (
	"errors"
	"io/fs"
	"syscall"
)

// Cause names why a capture could not be written; it is the `cause`
// attribute of the failure metrics.
type Cause string

const (
	CauseNoSpace          Cause = "no_space"          // ENOSPC or EDQUOT
	CauseReadOnly         Cause = "read_only"         // EROFS
	CausePermission       Cause = "permission"        // EACCES or EPERM
	CauseMissingDirectory Cause = "missing_directory" // directory absent and not (re)created
	CausePathEscape       Cause = "path_escape"       // a symlink in the tree points outside directory
	CauseEncode           Cause = "encode"            // meta.json could not be encoded
	CauseOther            Cause = "other"
)

// Causes lists every Cause, for tests and for pre-registering metric series.
var Causes = []Cause{CauseNoSpace, CauseReadOnly, CausePermission, CauseMissingDirectory, CausePathEscape, CauseEncode, CauseOther}

// Error is a failed write or sweep with its classified cause.
type Error struct {
	Cause Cause
	Op    string
	Err   error
}

func (e *Error) Error() string {
	return "payload capture: " + e.Op + ": " + string(e.Cause) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// CauseOf returns the cause of err: the one recorded in an *Error, else one
// classified from the underlying errno.
func CauseOf(err error) Cause {
	if err == nil {
		return ""
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Cause
	}
	return classify(err)
}

func classify(err error) Cause {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return CauseNoSpace
	case errors.Is(err, syscall.EROFS):
		return CauseReadOnly
	case errors.Is(err, fs.ErrPermission):
		return CausePermission
	case isPathEscape(err):
		return CausePathEscape
	default:
		return CauseOther
	}
}

// isPathEscape recognises os.Root's unexported "path escapes from parent"
// error by its text, the only handle the standard library gives.
func isPathEscape(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return &Error{Cause: classify(err), Op: op, Err: err}
}
