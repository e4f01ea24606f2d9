package tail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Checkpoint is what must be stored to find a file again after a restart.
//
// The fingerprint is saved as the length and FNV-1a 64 hash of the file's
// first bytes (~40 bytes of JSON instead of ~1.4 KiB of base64 per file,
// which every commit writes for every file). It is checked against the head
// of a file that is seen again, read from the file when fingerprint_size was
// lowered since. Fingerprint, the bytes themselves, is what the first
// version saved: Restore still accepts it, Checkpoints no longer fills it.
type Checkpoint struct {
	Fingerprint     []byte    `json:"fp,omitempty"`
	FingerprintLen  int       `json:"fp_len,omitempty"`
	FingerprintHash uint64    `json:"fp_hash,omitempty"`
	Offset          int64     `json:"offset"`
	Path            string    `json:"path"`
	Skipping        bool      `json:"skipping,omitempty"`
	GzipSize        int64     `json:"gzip_size,omitempty"` // compressed size read to its end
	LastSeen        time.Time `json:"last_seen"`
	Dev             uint64    `json:"dev,omitempty"`
	Ino             uint64    `json:"ino,omitempty"`
}

// CheckpointKey is the storage key of the checkpoint document.
const CheckpointKey = "checkpoints"

// CheckpointVersion is the version Save writes. Version 1 saved the
// fingerprint bytes, version 2 their length and hash; Load reads both.
const CheckpointVersion = 2

// CheckpointDoc is what is stored: every known file's fingerprint and offset.
type CheckpointDoc struct {
	Version int          `json:"version"`
	Files   []Checkpoint `json:"files"`
}

// Store is the part of a storage client (the collector's storage.Client)
// that checkpoints use.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
}

// UnreadableCheckpointsError is a stored document that cannot be decoded.
type UnreadableCheckpointsError struct{ Err error }

func (e *UnreadableCheckpointsError) Error() string { return e.Err.Error() }

func (e *UnreadableCheckpointsError) Unwrap() error { return e.Err }

// SaveCheckpoints stores cps as the current version of the document.
func SaveCheckpoints(ctx context.Context, s Store, cps []Checkpoint) error {
	data, err := json.Marshal(CheckpointDoc{Version: CheckpointVersion, Files: cps})
	if err != nil {
		return err
	}
	return s.Set(ctx, CheckpointKey, data)
}

// LoadCheckpoints reads what SaveCheckpoints stored (any version); found is
// false when nothing was. A document that cannot be decoded is an
// *UnreadableCheckpointsError; any other error is the store's.
func LoadCheckpoints(ctx context.Context, s Store) (cps []Checkpoint, found bool, err error) {
	data, err := s.Get(ctx, CheckpointKey)
	if err != nil || data == nil {
		return nil, false, err
	}
	var doc CheckpointDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, true, &UnreadableCheckpointsError{Err: err}
	}
	return doc.Files, true, nil
}

// maxRestoredFingerprint bounds a restored fingerprint far above any sane
// fingerprint_size; anything longer is corruption.
const maxRestoredFingerprint = 1 << 20

// Restore loads checkpoints saved by an earlier run. Call it before the first
// Poll. Entries that cannot be right (a corrupted or hand-edited store) are
// dropped and returned, so that the caller can log them: such a file is then
// treated as new (start_at decides) instead of failing every poll.
func (t *Tailer) Restore(cps []Checkpoint) (dropped []error) {
	now := t.now()
	for i, cp := range cps {
		if err := plausible(cp); err != nil {
			dropped = append(dropped, fmt.Errorf("checkpoint %d (%q): %w", i, cp.Path, err))
			continue
		}
		seen := cp.LastSeen
		if seen.IsZero() || seen.After(now) {
			seen = now // or a clock set back would keep it for ever
		}
		f := &file{
			id: fileID{Dev: cp.Dev, Ino: cp.Ino}, restored: true,
			path: cp.Path, offset: cp.Offset, skipping: cp.Skipping,
			gzipSize: cp.GzipSize, size: -1, lastSeen: seen,
		}
		if len(cp.Fingerprint) > 0 {
			// A lowered fingerprint_size: the prefix still identifies the file.
			f.setFP(cp.Fingerprint[:min(len(cp.Fingerprint), t.cfg.FingerprintSize)])
		} else {
			f.fpLen, f.fpHash = cp.FingerprintLen, cp.FingerprintHash
		}
		t.files = append(t.files, f)
	}
	t.restore = len(t.files) > 0
	t.publish()
	return dropped
}

// plausible rejects a checkpoint no run of this package could have saved.
func plausible(cp Checkpoint) error {
	switch {
	case len(cp.Fingerprint) == 0 && cp.FingerprintLen <= 0:
		return errors.New("empty fingerprint")
	case len(cp.Fingerprint) > maxRestoredFingerprint || cp.FingerprintLen > maxRestoredFingerprint:
		return fmt.Errorf("fingerprint of %d bytes, more than %d", max(len(cp.Fingerprint), cp.FingerprintLen), maxRestoredFingerprint)
	case cp.Offset < 0:
		return fmt.Errorf("offset %d", cp.Offset)
	case cp.GzipSize < 0:
		return fmt.Errorf("gzip size %d", cp.GzipSize)
	case cp.Path == "":
		return errors.New("empty path")
	}
	return nil
}

// Checkpoints returns what Restore needs.
func (t *Tailer) Checkpoints() []Checkpoint {
	cps := make([]Checkpoint, 0, len(t.files))
	for _, f := range t.files {
		n, h := f.fingerprint()
		cps = append(cps, Checkpoint{
			FingerprintLen: n, FingerprintHash: h, Offset: f.offset, Path: f.path, Skipping: f.skipping,
			GzipSize: f.gzipSize, LastSeen: f.lastSeen, Dev: f.id.Dev, Ino: f.id.Ino,
		})
	}
	return cps
}
