package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/keelstack/keel/app/internal/config"
	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// recorded is a Telemetry whose spans all land in a recorder.
func recorded(t *testing.T) (*Telemetry, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithIDGenerator(idGenerator{}))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &Telemetry{Provider: tp, Propagator: newPropagator()}, rec
}

const (
	w3cTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	w3cParent = "00f067aa0ba902b7"
)

func TestServerSpanParents(t *testing.T) {
	tests := []struct {
		name, header, value string
		trace, parent       string
	}{
		{"traceparent", "traceparent", "00-" + w3cTrace + "-" + w3cParent + "-01", w3cTrace, w3cParent},
		{"x-ray with parent", "X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8"},
		{"ALB root only", "X-Amzn-Trace-Id", "Self=1-67891234-12456789abcdef012345678;Root=1-67891233-abcdef012345678912345678", "67891233abcdef012345678912345678", ""},
		{"malformed x-ray", "X-Amzn-Trace-Id", "Root=2-xyz;Parent=zz", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel, rec := recorded(t)
			r := httptest.NewRequest(http.MethodGet, "/api/v1/things/42?token=secret", nil)
			r.Header.Set(tt.header, tt.value)
			_, done := tel.StartRequest(r, "GET /api/v1/things/{id}")
			done(503, time.Millisecond)
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			s := spans[0]
			if tt.trace != "" && s.SpanContext().TraceID().String() != tt.trace {
				t.Errorf("trace %s, want %s", s.SpanContext().TraceID(), tt.trace)
			}
			if got := s.Parent().SpanID(); (tt.parent == "" && got.IsValid()) || (tt.parent != "" && got.String() != tt.parent) {
				t.Errorf("parent %s, want %q", got, tt.parent)
			}
			attrs := map[string]string{}
			for _, a := range s.Attributes() {
				attrs[string(a.Key)] = a.Value.String()
			}
			if s.Name() != "GET /api/v1/things/{id}" || attrs["http.route"] != "GET /api/v1/things/{id}" || attrs["url.path"] != "" || attrs["http.response.status_code"] != "503" || s.Status().Code.String() != "Error" {
				t.Errorf("span %s %v %v", s.Name(), attrs, s.Status())
			}
		})
	}
}

func TestTraceparentWinsOverTheALBHeader(t *testing.T) {
	tel, rec := recorded(t)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("traceparent", "00-"+w3cTrace+"-"+w3cParent+"-01")
	r.Header.Set("X-Amzn-Trace-Id", "Root=1-67891233-abcdef012345678912345678")
	_, done := tel.StartRequest(r, "")
	done(200, 0)
	if got := rec.Ended()[0].SpanContext().TraceID().String(); got != w3cTrace {
		t.Fatalf("trace %s, want traceparent's", got)
	}
}

func TestXRayInjectRoundTrips(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: [16]byte{1, 2, 3}, SpanID: [8]byte{4}, TraceFlags: trace.FlagsSampled})
	h := http.Header{}
	xrayPropagator{}.Inject(trace.ContextWithSpanContext(context.Background(), sc), propagationCarrier(h))
	got := trace.SpanContextFromContext(xrayPropagator{}.Extract(context.Background(), propagationCarrier(h)))
	if got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() || !got.IsSampled() {
		t.Fatalf("%s: %v", h.Get("X-Amzn-Trace-Id"), got)
	}
}

// TestLogLineCarriesTheTraceID: a record logged with the request's context names its span.
func TestLogLineCarriesTheTraceID(t *testing.T) {
	tel, rec := recorded(t)
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("k", "v")
	ctx, done := tel.StartRequest(httptest.NewRequest(http.MethodGet, "/x", nil), "/x")
	log.InfoContext(ctx, "request")
	done(200, 0)
	log.Info("no request")
	var line map[string]any
	_ = json.Unmarshal(bytes.Split(buf.Bytes(), []byte("\n"))[0], &line)
	s := rec.Ended()[0].SpanContext()
	if line["trace_id"] != s.TraceID().String() || line["span_id"] != s.SpanID().String() {
		t.Fatalf("log %v, span %s/%s", line, s.TraceID(), s.SpanID())
	}
	if bytes.Count(buf.Bytes(), []byte("trace_id")) != 1 {
		t.Fatalf("a record without a request context got a trace ID:\n%s", buf.String())
	}
}

// TestTracingOffStillGivesTraceIDs: with tracing off nothing is recorded, yet the log line
// still carries the caller's (or a new) trace ID.
func TestTracingOffStillGivesTraceIDs(t *testing.T) {
	tel, err := New(context.Background(), testConfig(false, ""), "v", &bytes.Buffer{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("traceparent", "00-"+w3cTrace+"-"+w3cParent+"-01")
	ctx, done := tel.StartRequest(r, "")
	defer done(200, 0)
	sc := trace.SpanContextFromContext(ctx)
	if sc.TraceID().String() != w3cTrace || trace.SpanFromContext(ctx).IsRecording() {
		t.Fatalf("trace %s recording %v", sc.TraceID(), trace.SpanFromContext(ctx).IsRecording())
	}
}

// TestS3CallsAreChildSpans: the vault's S3 client with the middleware traces each operation
// under the span of the context it was called with.
func TestS3CallsAreChildSpans(t *testing.T) {
	tel, rec := recorded(t)
	cfg := vsynctest.StartGoFakeS3(t).Config("p/", "e", "c2FsdHNhbHRzYWx0c2FsdA==", 1000)
	traced := vsync.NewS3Fetcher(cfg, func(o *s3.Options) { o.APIOptions = append(o.APIOptions, tel.AWSMiddleware()) })
	ctx, parent := tel.tracer().Start(context.Background(), "parent")
	_, err := traced.Fetch(ctx, "p/missing")
	parent.End()
	if err == nil {
		t.Fatal("fetched a missing object")
	}
	var s3span sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "S3.GetObject" {
			s3span = s
		}
	}
	if s3span == nil || s3span.Parent().SpanID() != parent.SpanContext().SpanID() || s3span.Status().Description != "NoSuchKey" {
		t.Fatalf("spans %v", rec.Ended())
	}
}

func TestStartQueryHook(t *testing.T) {
	tel, rec := recorded(t)
	_, end := tel.StartQuery(context.Background(), "postgresql", "SELECT notes")
	end(errors.New("boom"))
	if s := rec.Ended()[0]; s.Name() != "SELECT notes" || s.SpanKind() != trace.SpanKindClient || s.Status().Code.String() != "Error" {
		t.Fatalf("%v", s)
	}
	var nilTel *Telemetry
	_, end = nilTel.StartQuery(context.Background(), "postgresql", "x")
	end(nil)
}

func propagationCarrier(h http.Header) propagation.HeaderCarrier { return propagation.HeaderCarrier(h) }

func testConfig(tracing bool, endpoint string) config.Telemetry {
	return config.Telemetry{ServiceName: "keel-test", MetricsNamespace: "keel", Tracing: tracing, TracesEndpoint: endpoint,
		Sampler: "always_on", SamplerArg: 1, ExportTimeout: time.Second}
}
