package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"

import (
	"errors"
	"os"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/redline-otel/redline/extension/storageguardextension/internal/dbcheck"
)

// formerExporterTypes maps an exporter type the collector renamed to the
// type it had before. file_storage names a database after its component's
// ID, so renaming `otlp` to `otlp_grpc` in a config would otherwise leave the
// old persistent queue on disk, never sent. Collector v0.165.0 renamed the
// OTLP exporters; the old names still work as deprecated aliases.
var formerExporterTypes = map[string]string{
	"otlp_grpc": "otlp",
	"otlp_http": "otlphttp",
}

// adoptRenamed gives an exporter whose type was renamed the database its
// component wrote under the former type, when it has none of its own yet:
// the queue that database holds is then sent instead of forgotten. A former
// database still held open (the config runs both names at once) is left to
// its owner.
func (g *guard) adoptRenamed(kind component.Kind, id component.ID, name string, paths []string) {
	former, ok := formerExporterTypes[id.Type().String()]
	if kind != component.KindExporter || !ok || anyExists(paths) {
		return
	}
	formerID := component.NewIDWithName(component.MustNewType(former), id.Name())
	for i, old := range databasePaths(g.cfg.Directory, kind, formerID, name) {
		if _, err := os.Stat(old); err != nil {
			continue
		}
		log := g.logger.With(zap.String("file", old), zap.String("component", id.String()), zap.String("former", formerID.String()))
		if errors.Is(dbcheck.Check(old, g.cfg.LockTimeout), dbcheck.ErrLocked) {
			log.Warn("The database of this exporter's former name is in use by another component: not taken over")
			return
		}
		if err := os.Rename(old, paths[i]); err != nil {
			log.Error("Could not take over the database of this exporter's former name: its queue stays unsent", zap.Error(err))
			return
		}
		log.Info("Took over the database of this exporter's former name: its queue is sent by this exporter", zap.String("moved_to", paths[i]))
		return
	}
}

func anyExists(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}
