package redmetricsconnector

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/redmetricsconnector/internal/metadata"
)

// The parent package writes the connector's type and stability by hand
// (it cannot import this package's generated metadata); this keeps them in
// line with metadata.yaml.
func TestFactoryMatchesMetadata(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsToMetricsStability, f.LogsToMetricsStability())
	assert.Equal(t, metadata.TracesToMetricsStability, f.TracesToMetricsStability())
}
