package accesslogreceiver // import "github.com/redline-otel/redline/receiver/accesslogreceiver"

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
)

// NewFactory returns the factory of the accesslog receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(metadata.Type, createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability))
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	r, err := newAccessLogReceiver(set, cfg.(*Config), next)
	if err != nil {
		return nil, fmt.Errorf("create accesslog receiver: %w", err)
	}
	return r, nil
}
