package redlineenv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFreePortsAreDistinct(t *testing.T) {
	p, err := FreePorts()
	require.NoError(t, err)
	seen := map[int]bool{}
	for _, port := range []int{p.Telemetry, p.OTLPGRPC, p.OTLPHTTP, p.Health, p.Pprof} {
		assert.Positive(t, port)
		assert.False(t, seen[port], "port %d twice", port)
		seen[port] = true
	}
}

func TestVarsBindLoopbackAndUseTheRunsFolders(t *testing.T) {
	vars := Vars("/in.jsonl", "/run/storage", "/run/captures", Ports{Telemetry: 1, OTLPGRPC: 2, OTLPHTTP: 3, Health: 4, Pprof: 5})
	got := map[string]string{}
	for _, v := range vars {
		k, val, ok := strings.Cut(v, "=")
		require.True(t, ok, v)
		got[k] = val
	}
	assert.Equal(t, "/in.jsonl", got["REDLINE_ACCESS_LOG_GLOB"])
	assert.Equal(t, "/run/storage", got["REDLINE_STORAGE_DIR"])
	assert.Equal(t, "/run/captures", got["REDLINE_PAYLOAD_DIR"])
	assert.Equal(t, "nop", got["REDLINE_EXPORTER"])
	assert.Equal(t, "127.0.0.1", got["REDLINE_OTLP_HOST"])
	assert.Equal(t, "127.0.0.1", got["REDLINE_HEALTH_HOST"])
	assert.Equal(t, "1", got["REDLINE_TELEMETRY_PORT"])
	assert.Equal(t, "4", got["REDLINE_HEALTH_PORT"])
	assert.Equal(t, "127.0.0.1:5", got["REDLINE_PPROF_ENDPOINT"])
}
