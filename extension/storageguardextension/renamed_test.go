package storageguardextension

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
)

// A config that renames `otlp` to `otlp_grpc` (as the collector asks since
// v0.165.0) keeps what the old exporter had queued: the new exporter's first
// client opens the old database, under its new name.
func TestRenamedExporterTakesOverItsDatabase(t *testing.T) {
	for current, former := range formerExporterTypes {
		t.Run(former+" to "+current, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			oldID := component.MustNewIDWithName(former, "backend")
			newID := component.MustNewIDWithName(current, "backend")

			old, err := f.guard.GetClient(ctx, component.KindExporter, oldID, "logs")
			require.NoError(t, err)
			require.NoError(t, old.Set(ctx, "queued", []byte("batch 1")))
			require.NoError(t, old.Close(ctx))

			renamed, err := f.guard.GetClient(ctx, component.KindExporter, newID, "logs")
			require.NoError(t, err)
			got, err := renamed.Get(ctx, "queued")
			require.NoError(t, err)
			assert.Equal(t, "batch 1", string(got), "the queue written under the former name")
			require.NoError(t, renamed.Close(ctx))

			_, err = os.Stat(databasePaths(f.dir, component.KindExporter, oldID, "logs")[0])
			assert.True(t, os.IsNotExist(err), "the former database was moved, not copied")
		})
	}
}

// The takeover happens only when the new name has no database yet, only for
// exporters, and never from a database another component holds open.
func TestRenamedExporterTakesOverOnlyWhatIsFree(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.LockTimeout = 50 * time.Millisecond })
	ctx := context.Background()
	write := func(kind component.Kind, id component.ID, value string) {
		c, err := f.guard.GetClient(ctx, kind, id, "logs")
		require.NoError(t, err)
		require.NoError(t, c.Set(ctx, "k", []byte(value)))
		require.NoError(t, c.Close(ctx))
	}
	read := func(kind component.Kind, id component.ID) string {
		c, err := f.guard.GetClient(ctx, kind, id, "logs")
		require.NoError(t, err)
		defer func() { require.NoError(t, c.Close(ctx)) }()
		v, err := c.Get(ctx, "k")
		require.NoError(t, err)
		return string(v)
	}

	t.Run("the new name has its own database", func(t *testing.T) {
		write(component.KindExporter, component.MustNewIDWithName("otlp_grpc", "a"), "new")
		write(component.KindExporter, component.MustNewIDWithName("otlp", "a"), "old")
		assert.Equal(t, "new", read(component.KindExporter, component.MustNewIDWithName("otlp_grpc", "a")))
		assert.Equal(t, "old", read(component.KindExporter, component.MustNewIDWithName("otlp", "a")), "left alone")
	})
	t.Run("not an exporter", func(t *testing.T) {
		write(component.KindReceiver, component.MustNewIDWithName("otlp", "b"), "receiver's")
		assert.Empty(t, read(component.KindReceiver, component.MustNewIDWithName("otlp_grpc", "b")))
	})
	t.Run("the former database is open", func(t *testing.T) {
		held, err := f.guard.GetClient(ctx, component.KindExporter, component.MustNewIDWithName("otlphttp", "c"), "logs")
		require.NoError(t, err)
		require.NoError(t, held.Set(ctx, "k", []byte("in use")))
		assert.Empty(t, read(component.KindExporter, component.MustNewIDWithName("otlp_http", "c")), "not taken from its owner")
		v, err := held.Get(ctx, "k")
		require.NoError(t, err)
		assert.Equal(t, "in use", string(v))
		require.NoError(t, held.Close(ctx))
	})
}
