package redmetricsconnector

import (
	"go.opentelemetry.io/collector/connector"

	"github.com/redline-otel/redline/processor/redmetricsprocessor"
)

// NewFactory returns the factory of the redmetrics connector
// (logs → metrics, traces → metrics).
func NewFactory() connector.Factory {
	return redmetricsprocessor.NewConnectorFactory()
}
