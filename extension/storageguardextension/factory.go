package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/redline-otel/redline/extension/storageguardextension/internal/metadata"
)

// NewFactory returns the storage_guard extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, create, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	return &Config{
		MinFreeMiB:        64,
		CheckInterval:     time.Second,
		QuarantineCorrupt: true,
		LockTimeout:       time.Second,
	}
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newGuard(cfg.(*Config), set)
}
