package server

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/keelstack/keel/app/internal/health"
	"github.com/keelstack/keel/app/internal/store"
	"github.com/keelstack/keel/app/internal/telemetry"
)

// Vault metrics: the generation serving, and how long ago it was last confirmed the newest
// (it grows while S3 is unreachable or a newer generation waits for a deploy).
const (
	MetricVaultGeneration   = "VaultGeneration"
	MetricVaultFreshnessAge = "VaultFreshnessAge"
)

func registerVaultMetrics(r telemetry.Registry, m *health.Monitor) {
	r.Gauge(MetricVaultGeneration, telemetry.None, func() float64 {
		if _, v, _ := m.State(); v != nil {
			return float64(v.Generation())
		}
		return math.NaN() // booting: no reading
	})
	r.Gauge(MetricVaultFreshnessAge, telemetry.Seconds, func() float64 {
		if _, _, f := m.State(); f != nil {
			return f.Age().Seconds()
		}
		return math.NaN()
	})
}

// telemetryFlush bounds the export of the last spans at shutdown: it comes after the drain,
// within the margin between the shutdown budget and SIGKILL.
const telemetryFlush = 2 * time.Second

// runTelemetry writes metrics until stop is called, which writes the last lines and exports
// the spans still queued.
func runTelemetry(tel *telemetry.Telemetry, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tel.Run(ctx); close(done) }()
	return func() {
		cancel()
		<-done
		flush, cancel := context.WithTimeout(context.Background(), telemetryFlush)
		defer cancel()
		if err := tel.Shutdown(flush); err != nil {
			log.Warn("spans not exported at shutdown", "error", err.Error())
		}
	}
}

// queryHook gives the store a span per database query; nil without telemetry.
func queryHook(tel *telemetry.Telemetry) store.QueryHook {
	if tel == nil {
		return nil
	}
	return func(ctx context.Context, operation string) (context.Context, func(error)) {
		return tel.StartQuery(ctx, "postgresql", operation)
	}
}
