package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/keelstack/keel/app/internal/config"
)

// Export queue bounds: a collector that is down or slow fills the queue and spans are
// dropped there; a request never waits for an export.
const (
	exportQueue = 4096
	exportBatch = 1024
	exportEvery = 2 * time.Second
)

// newPropagator reads W3C traceparent/tracestate and the ALB's X-Amzn-Trace-Id; traceparent
// wins when both are present (it names the caller's own span, the ALB's header only the ALB).
func newPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(xrayPropagator{}, propagation.TraceContext{})
}

// newTracerProvider always returns a provider: with tracing off it samples nothing and
// exports nothing, yet gives every request a trace ID (its caller's, the ALB's or a new one)
// for the log line.
func newTracerProvider(cfg config.Telemetry, version string, client *http.Client) (*sdktrace.TracerProvider, error) {
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", cfg.ServiceName),
			attribute.String("service.version", version),
		)),
	}
	if !cfg.Tracing {
		return sdktrace.NewTracerProvider(append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))...), nil
	}
	exporter, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(cfg.TracesEndpoint),
		otlptracehttp.WithTimeout(cfg.ExportTimeout),
		otlptracehttp.WithHTTPClient(client),
		// A few quick retries; past them the batch is dropped rather than holding the queue.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 500 * time.Millisecond, MaxInterval: 2 * time.Second, MaxElapsedTime: 5 * time.Second}),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter for %s: %w", cfg.TracesEndpoint, err)
	}
	return sdktrace.NewTracerProvider(append(opts,
		sdktrace.WithSampler(sampler(cfg.Sampler, cfg.SamplerArg)),
		sdktrace.WithBatcher(exporter,
			sdktrace.WithMaxQueueSize(exportQueue),
			sdktrace.WithMaxExportBatchSize(exportBatch),
			sdktrace.WithBatchTimeout(exportEvery),
			sdktrace.WithExportTimeout(cfg.ExportTimeout)),
	)...), nil
}

// sampler maps OTEL_TRACES_SAMPLER's values (config validated them) to the SDK's samplers.
func sampler(name string, ratio float64) sdktrace.Sampler {
	switch name {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}
