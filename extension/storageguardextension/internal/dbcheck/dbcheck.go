// Package dbcheck tells whether a bbolt database file can be opened safely.
//
// bbolt trusts its file: a database whose pages were cut short or overwritten
// can make it panic, and when the database keeps no freelist (file_storage
// opens them so) the panic can happen in a goroutine bbolt starts while
// rebuilding the freelist at open, where no caller can recover it and the
// process dies. Check reads the whole file read-only, in a goroutine that
// turns memory faults and bbolt's assertions into errors, before anything
// opens it for writing.
package dbcheck // import "github.com/redline-otel/redline/extension/storageguardextension/internal/dbcheck"

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrLocked is returned when another process holds the database's lock for
// longer than the timeout: it is in use, so it is not judged.
var ErrLocked = errors.New("database is locked by another process")

// CorruptError says why a file is not a database bbolt can open safely.
type CorruptError struct {
	Path   string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s: not a usable bbolt database: %s", e.Path, e.Reason)
}

// Check returns nil when the file at path is absent, empty (bbolt initialises
// it) or a bbolt database whose every page can be read; a *CorruptError when
// it is not; ErrLocked when the lock was not obtained within lockTimeout; any
// other error when the file could not be examined.
func Check(path string, lockTimeout time.Duration) error {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return &CorruptError{Path: path, Reason: "not a regular file"}
	}
	if info.Size() == 0 {
		return nil
	}

	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return ErrLocked
	}
	if errors.Is(err, os.ErrPermission) {
		return err
	}
	if err != nil {
		// Invalid magic, version or checksum, a file too small for its
		// metadata pages: bbolt refuses it, and so would file_storage.
		return &CorruptError{Path: path, Reason: err.Error()}
	}
	defer db.Close()

	if reason := walk(db, info.Size()); reason != "" {
		return &CorruptError{Path: path, Reason: reason}
	}
	return nil
}

// walk reads every page the database refers to and every key and value, and
// returns why that failed, or "". It runs in its own goroutine so that a
// fault on a page past the end of the file becomes a panic it can recover.
func walk(db *bolt.DB, fileSize int64) string {
	result := make(chan string, 1)
	go func() {
		debug.SetPanicOnFault(true)
		defer func() {
			if r := recover(); r != nil {
				result <- fmt.Sprintf("reading it failed: %v", r)
			}
		}()
		result <- walkPages(db, fileSize)
	}()
	return <-result
}

func walkPages(db *bolt.DB, fileSize int64) string {
	var reason string
	err := db.View(func(tx *bolt.Tx) error {
		if size := tx.Size(); size > fileSize {
			reason = fmt.Sprintf("truncated: the file has %d bytes, its metadata claims %d", fileSize, size)
			return nil
		}
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			return walkBucket(b)
		})
	})
	if err != nil && reason == "" {
		reason = err.Error()
	}
	return reason
}

// walkBucket visits every page of the bucket (Stats) and every key and value
// (a cursor), descending into nested buckets. These are the pages bbolt's own
// consistency walk at open reads; a page of the wrong type trips bbolt's
// assertions here, where the panic is recovered.
func walkBucket(b *bolt.Bucket) error {
	_ = b.Stats()
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v != nil {
			continue
		}
		nested := b.Bucket(k)
		if nested == nil {
			return fmt.Errorf("key %q has no value and is not a bucket", k)
		}
		if err := walkBucket(nested); err != nil {
			return err
		}
	}
	return nil
}
