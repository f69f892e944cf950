package telemetry

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// instrumentation names the tracer (the instrumentation scope of every span).
const instrumentation = "github.com/keelstack/keel/app/internal/telemetry"

// Telemetry is what the HTTP middleware and the AWS clients report to. A nil *Telemetry
// observes nothing.
type Telemetry struct {
	Metrics    *Metrics
	Provider   *sdktrace.TracerProvider
	Propagator propagation.TextMapPropagator

	tracerOnce sync.Once
	tr         trace.Tracer
}

// tracer is the Provider's tracer, looked up once (the lookup takes a lock).
func (t *Telemetry) tracer() trace.Tracer {
	if t == nil || t.Provider == nil {
		return noop.NewTracerProvider().Tracer(instrumentation)
	}
	t.tracerOnce.Do(func() { t.tr = t.Provider.Tracer(instrumentation) })
	return t.tr
}

// StartRequest begins observing r, routed to pattern ("" when no route matched): a server
// span, a child of the caller's (traceparent) or the ALB's (X-Amzn-Trace-Id) context. The
// returned function ends it with the status written (0: nothing written, counted as 200).
func (t *Telemetry) StartRequest(r *http.Request, pattern string) (context.Context, func(status int, took time.Duration)) {
	route := Route(pattern)
	ctx := r.Context()
	if t.Propagator != nil {
		ctx = t.Propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	name := r.Method // semantic conventions: "{method} {route}", the method alone for none
	switch {
	case route == Unmatched:
	case strings.HasPrefix(route, "/"):
		name += " " + route
	default: // the pattern names its method (or host) itself
		name = route
	}
	// The path is not an attribute: the access log line has it under the same trace ID, and
	// spans stay small (every attribute is encoded and sent with every sampled request).
	ctx, span := t.tracer().Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("http.request.method", r.Method),
		attribute.String("http.route", route),
	))
	return ctx, func(status int, took time.Duration) {
		if status == 0 {
			status = http.StatusOK
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
		t.Metrics.ObserveRequest(route, status, took)
	}
}

// Shutdown exports the spans still queued, within ctx.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil || t.Provider == nil {
		return nil
	}
	return t.Provider.Shutdown(ctx)
}

// Route is the Route dimension of a mux pattern: the pattern itself; Unmatched for none and
// for "/", which in a ServeMux matches every path no other pattern does.
func Route(pattern string) string {
	if pattern == "" || pattern == "/" {
		return Unmatched
	}
	return pattern
}
