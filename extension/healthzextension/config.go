package healthzextension // import "github.com/redline-otel/redline/extension/healthzextension"

import (
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
)

// defaultEndpoint binds loopback only: the endpoints expose operational
// detail (component errors, traffic figures) that should not be public.
const defaultEndpoint = "127.0.0.1:13133"

// Config is the healthz extension's configuration.
type Config struct {
	// Server holds endpoint, tls, auth, cors, timeouts and the other
	// confighttp server settings. Note that `auth` here guards every
	// endpoint, probes included; use MetricsAuth to guard only metrics.
	Server confighttp.ServerConfig `mapstructure:",squash"`

	// DrainDelay is how long the extension holds shutdown after the
	// collector announces it (PipelineWatcher.NotReady), with /readyz
	// answering 503, before the collector stops its receivers.
	DrainDelay time.Duration `mapstructure:"drain_delay"`

	// MetricsAuth, when present, guards /metrics and /metrics/prometheus
	// while the probes stay open.
	MetricsAuth configoptional.Optional[MetricsAuthConfig] `mapstructure:"metrics_auth"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// MetricsAuthConfig names one way to authenticate metrics readers.
type MetricsAuthConfig struct {
	// BearerToken is compared with "Authorization: Bearer <token>".
	BearerToken configopaque.String `mapstructure:"bearer_token"`
	// Authenticator is the ID of a server authenticator extension, such as
	// basicauth or bearertokenauth.
	Authenticator component.ID `mapstructure:"authenticator"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)

	errNoEndpoint        = errors.New("'endpoint' must not be empty")
	errNegativeDrain     = errors.New("'drain_delay' must not be negative")
	errMetricsAuthChoice = errors.New("'metrics_auth' needs exactly one of 'bearer_token' or 'authenticator'")
)

// Validate checks the extension's own keys; confmap validates the nested
// server settings itself.
func (cfg *Config) Validate() error {
	var errs error
	if cfg.Server.NetAddr.Endpoint == "" {
		errs = errors.Join(errs, errNoEndpoint)
	}
	if cfg.DrainDelay < 0 {
		errs = errors.Join(errs, errNegativeDrain)
	}
	if cfg.MetricsAuth.HasValue() {
		ma := cfg.MetricsAuth.Get()
		hasToken := ma.BearerToken != ""
		hasAuthenticator := ma.Authenticator != (component.ID{})
		if hasToken == hasAuthenticator {
			errs = errors.Join(errs, errMetricsAuthChoice)
		}
	}
	return errs
}
