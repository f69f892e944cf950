package telemetry

import (
	"context"
	"io"
	"log/slog"

	"github.com/keelstack/keel/app/internal/config"
)

// New builds the service's telemetry from its settings; out receives the EMF lines (share it
// with the logger through one lock, so that lines never interleave).
func New(cfg config.Telemetry, out io.Writer, log *slog.Logger) (*Telemetry, error) {
	t := &Telemetry{}
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
