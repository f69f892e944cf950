package server

import (
	"context"
	"math"

	"github.com/keelstack/keel/app/internal/health"
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

// runTelemetry writes metrics until stop is called, which waits for the last lines.
func runTelemetry(tel *telemetry.Telemetry) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tel.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}
