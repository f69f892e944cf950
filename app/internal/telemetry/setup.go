package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/keelstack/keel/app/internal/config"
)

// New builds the service's telemetry from its settings; out receives the EMF lines (share it
// with the logger through one lock, so that lines never interleave).
func New(ctx context.Context, cfg config.Telemetry, version string, out io.Writer, log *slog.Logger) (*Telemetry, error) {
	t := &Telemetry{Propagator: newPropagator()}
	var client *http.Client
	if cfg.Tracing {
		var err error
		if client, err = exportClient(ctx, cfg.TracesEndpoint); err != nil {
			return nil, err
		}
		// The SDK reports failed exports through its one global handler (a receiver down or
		// refusing): warnings, never the request's concern.
		otel.SetErrorHandler(&exportErrors{log: log, now: time.Now})
	}
	var err error
	if t.Provider, err = newTracerProvider(cfg, version, client); err != nil {
		return nil, err
	}
	if cfg.MetricsInterval > 0 {
		m, err := NewMetrics(MetricsOptions{
			Namespace: cfg.MetricsNamespace,
			Service:   cfg.ServiceName,
			Interval:  cfg.MetricsInterval,
			Out:       out,
			OnError:   func(err error) { log.Warn("metrics line not written", "error", err.Error()) },
		})
		if err != nil {
			return nil, err
		}
		t.Metrics = m
	}
	return t, nil
}

// Run writes metrics every interval until ctx ends, then flushes what is left.
func (t *Telemetry) Run(ctx context.Context) {
	if t != nil {
		t.Metrics.Run(ctx)
	}
}
