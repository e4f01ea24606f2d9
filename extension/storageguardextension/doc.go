// Package storageguardextension is redline's storage guard: a storage
// extension placed in front of file_storage that keeps a full or damaged disk
// from losing data or stopping the collector.
//
// Below a free-space reserve it refuses new sending-queue items (the producer
// retries them, so nothing is acknowledged that was not stored) while the
// queue's own bookkeeping and receivers' checkpoints go on using the reserve;
// a queue read whose bookkeeping write fails for lack of space is served
// without it instead of failing, because the collector's persistent queue
// deletes an item whose read failed. Before a database is opened it is
// checked, and a
// damaged one is moved aside, because bbolt can panic on it where nothing can
// recover.
//
// The database check lives in internal/dbcheck; this package wraps clients,
// watches free space and reports status and telemetry.
//
//go:generate mdatagen metadata.yaml
package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"
