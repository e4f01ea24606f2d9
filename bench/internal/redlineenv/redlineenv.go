// Package redlineenv is the environment that points redline's shipped
// configuration (config/collector.yaml) at a bench run: the input file, the
// run's own storage and capture folders, and free loopback ports. The runner
// (cmd/benchrun) and the in-process profiler (cmd/profile) both use it, so
// they measure the same configuration.
package redlineenv // import "github.com/redline-otel/redline/bench/internal/redlineenv"

import (
	"net"
	"strconv"
)

// Ports are the loopback ports one run of redline listens on.
type Ports struct {
	Telemetry, OTLPGRPC, OTLPHTTP, Health, Pprof int
}

// FreePorts finds five distinct free loopback ports. They are free when
// returned, not reserved: the run binds them right after.
func FreePorts() (Ports, error) {
	var ports [5]int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return Ports{}, err
		}
		listeners = append(listeners, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return Ports{Telemetry: ports[0], OTLPGRPC: ports[1], OTLPHTTP: ports[2], Health: ports[3], Pprof: ports[4]}, nil
}

// Vars returns redline's variables, as NAME=value: the accesslog receiver
// reads input, state goes to storageDir, payload capture is off (its folder
// is capturesDir should a scenario turn it on), the exporter is nop, and
// every listener is on 127.0.0.1 at p.
func Vars(input, storageDir, capturesDir string, p Ports) []string {
	return []string{
		"REDLINE_ACCESS_LOG_GLOB=" + input,
		"REDLINE_STORAGE_DIR=" + storageDir,
		"REDLINE_EXPORTER=nop",
		"REDLINE_TELEMETRY_PORT=" + strconv.Itoa(p.Telemetry),
		"REDLINE_OTLP_HOST=127.0.0.1",
		"REDLINE_OTLP_GRPC_PORT=" + strconv.Itoa(p.OTLPGRPC),
		"REDLINE_OTLP_HTTP_PORT=" + strconv.Itoa(p.OTLPHTTP),
		"REDLINE_HEALTH_HOST=127.0.0.1",
		"REDLINE_HEALTH_PORT=" + strconv.Itoa(p.Health),
		"REDLINE_PPROF_ENDPOINT=127.0.0.1:" + strconv.Itoa(p.Pprof),
		"REDLINE_PAYLOAD_CAPTURE=false",
		"REDLINE_PAYLOAD_DIR=" + capturesDir,
	}
}

// UnlimitedRate lifts the default pipeline's global rate limit far above
// any bench rate, so that scenario D measures throughput, not the limit.
const UnlimitedRate = "REDLINE_RATE_LIMIT_PER_SECOND=1000000000"
