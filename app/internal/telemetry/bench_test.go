package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkRequest is the per-request cost of the middleware's work (span, metrics, the log
// line's trace fields) with everything off, metrics only, and metrics with every request
// traced and exported to an OTLP/HTTP receiver on loopback.
func BenchmarkRequest(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer sink.Close()
	for _, tt := range []struct {
		name             string
		metrics, tracing bool
	}{{"off", false, false}, {"metrics", true, false}, {"metrics+traces", true, true}} {
		b.Run(tt.name, func(b *testing.B) {
			cfg := testConfig(tt.tracing, sink.URL+"/v1/traces")
			if tt.metrics {
				cfg.MetricsInterval = time.Minute
			}
			tel, err := New(context.Background(), cfg, "bench", io.Discard, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = tel.Shutdown(context.Background()) }()
			log := slog.New(LogHandler(slog.NewJSONHandler(io.Discard, nil)))
			r := httptest.NewRequest(http.MethodGet, "/api/v1/greetings", nil)
			r.Header.Set("X-Amzn-Trace-Id", "Root=1-67891233-abcdef012345678912345678")
			b.ReportAllocs()
			for b.Loop() {
				ctx, done := tel.StartRequest(r, "/api/v1/greetings")
				log.LogAttrs(ctx, slog.LevelInfo, "request", slog.Int("status", 200))
				done(200, time.Millisecond)
			}
		})
	}
}
