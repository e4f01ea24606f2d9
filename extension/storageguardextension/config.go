package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
)

// Config configures the storage guard.
type Config struct {
	// Storage is the storage extension the guard stands in front of
	// (file_storage). Components name the guard as their storage instead.
	Storage component.ID `mapstructure:"storage"`

	// Directory is the wrapped extension's directory: free space is read
	// from its filesystem, and the database files in it are checked before
	// they are opened. Set it to the same value as file_storage's directory.
	Directory string `mapstructure:"directory"`

	// MinFreeMiB is the free space, in MiB, below which new sending-queue
	// items are refused. What stays below it is left to the queue's own
	// bookkeeping and to receivers' checkpoints. 0 refuses nothing.
	MinFreeMiB int64 `mapstructure:"min_free_mib"`

	// CheckInterval is how often free space is read (and the status and the
	// free-space gauge updated).
	CheckInterval time.Duration `mapstructure:"check_interval"`

	// QuarantineCorrupt moves a damaged database file aside (renamed to
	// <name>.corrupt-<UTC time>, in the same directory) before the wrapped
	// extension opens it, so it starts with an empty database instead of
	// crashing. When false, a damaged file is reported and left in place,
	// and the component that needs it fails to start.
	QuarantineCorrupt bool `mapstructure:"quarantine_corrupt"`

	// LockTimeout bounds how long the database check waits for a database
	// another process holds open; such a database is left alone.
	LockTimeout time.Duration `mapstructure:"lock_timeout"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Storage.Type().String() == "" {
		errs = append(errs, errors.New("storage: must name the storage extension to guard (for example file_storage)"))
	} else if cfg.Storage.Type().String() == "storage_guard" {
		errs = append(errs, errors.New("storage: a storage_guard cannot guard another storage_guard"))
	}
	if cfg.Directory == "" {
		errs = append(errs, errors.New("directory: must be set to the guarded storage's directory"))
	}
	if cfg.MinFreeMiB < 0 {
		errs = append(errs, fmt.Errorf("min_free_mib: must be 0 or more, got %d", cfg.MinFreeMiB))
	}
	if cfg.CheckInterval <= 0 {
		errs = append(errs, fmt.Errorf("check_interval: must be positive, got %s", cfg.CheckInterval))
	}
	if cfg.LockTimeout <= 0 {
		errs = append(errs, fmt.Errorf("lock_timeout: must be positive, got %s", cfg.LockTimeout))
	}
	return errors.Join(errs...)
}
