package e2e

import (
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// span is one span as the receiver decoded it.
type span struct {
	name, trace, id, parent string
}

// otlpReceiver is a real OTLP/HTTP traces endpoint: it decodes each export with the OTLP
// protobuf definitions and answers as the specification asks (an empty
// ExportTraceServiceResponse, application/x-protobuf).
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []span
}

func startReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "not an OTLP/HTTP protobuf traces export", http.StatusBadRequest)
			return
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		b, _ := io.ReadAll(body)
		var export coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &export); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range export.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					r.spans = append(r.spans, span{s.Name, hex.EncodeToString(s.TraceId), hex.EncodeToString(s.SpanId), hex.EncodeToString(s.ParentSpanId)})
				}
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// await returns the spans of trace once want of them have arrived.
func (r *otlpReceiver) await(t *testing.T, trace string, want int) []span {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got []span
		r.mu.Lock()
		for _, s := range r.spans {
			if s.trace == trace {
				got = append(got, s)
			}
		}
		r.mu.Unlock()
		if len(got) >= want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d spans of trace %s arrived, want %d: %v", len(got), trace, want, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getWith(t *testing.T, url string, header ...string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
)

// TestSpansArriveWithTheirParents: the inbound span is the caller's child, the vault's S3
// calls are the inbound span's children, and the access log line names the span.
func TestSpansArriveWithTheirParents(t *testing.T) {
	recv := startReceiver(t)
	v := publishedVault(t, "traces/")
	p := startReady(t, v.env("OTEL_TRACES_EXPORTER=otlp", "OTEL_EXPORTER_OTLP_ENDPOINT="+recv.URL,
		"OTEL_TRACES_SAMPLER=parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG=1", "FRESHNESS_INTERVAL=50ms", "FRESHNESS_WAIT=5s"))
	time.Sleep(100 * time.Millisecond) // past the interval: /healthz checks S3

	if code := getWith(t, p.url+"/healthz", "traceparent", "00-"+callerTrace+"-"+callerSpan+"-01"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	spans := recv.await(t, callerTrace, 2)
	var server span
	for _, s := range spans {
		if s.name == "GET /healthz" {
			server = s
		}
	}
	if server.parent != callerSpan {
		t.Fatalf("inbound span %+v, want the caller's span %s as parent; spans %v", server, callerSpan, spans)
	}
	s3calls := 0
	for _, s := range spans {
		if strings.HasPrefix(s.name, "S3.") {
			s3calls++
			if s.parent != server.id {
				t.Errorf("S3 span %+v, want parent %s (the inbound span)", s, server.id)
			}
		}
	}
	if s3calls == 0 {
		t.Fatalf("no S3 span under the inbound span: %v", spans)
	}

	const albRoot = "1-67891233-abcdef012345678912345678"
	if code := getWith(t, p.url+"/api/v1/greetings?name=trace", "X-Amzn-Trace-Id", "Root="+albRoot); code != 200 {
		t.Fatalf("database %d", code)
	}
	albTrace := "67891233abcdef012345678912345678"
	db := recv.await(t, albTrace, 1)[0]
	var logged map[string]any
	for _, line := range strings.Split(p.out.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["path"] == "/api/v1/greetings" {
			logged = m
		}
	}
	if logged["trace_id"] != db.trace || logged["span_id"] != db.id {
		t.Fatalf("access log %v, span %+v: want the same trace and span IDs", logged, db)
	}
}

// TestCollectorDownOrSlowNeverDelaysRequests: with the collector refusing connections or
// holding every export, requests are answered as usual and SIGTERM still ends the process
// within its budget (the last export is bounded).
func TestCollectorDownOrSlowNeverDelaysRequests(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	t.Cleanup(hang.Close)
	for name, endpoint := range map[string]string{"down": vsynctest.RefusedEndpoint(t), "slow": hang.URL} {
		t.Run(name, func(t *testing.T) {
			v := publishedVault(t, "collector-"+name+"/")
			p := startReady(t, v.env("OTEL_TRACES_EXPORTER=otlp", "OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint, "OTEL_TRACES_SAMPLER=always_on",
				"OTEL_EXPORTER_OTLP_TIMEOUT=30000", "SHUTDOWN_BUDGET=5s"))
			var slowest time.Duration
			for range 300 { // more than one batch: the export queue fills while the collector hangs
				start := time.Now()
				if code := getWith(t, p.url+"/api/v1/greetings?name=trace"); code != 200 {
					t.Fatalf("answered %d while the collector is %s", code, name)
				}
				slowest = max(slowest, time.Since(start))
			}
			// An export in the request path would hold a request for the 30 s export timeout.
			if slowest > 3*time.Second {
				t.Fatalf("a request took %v while the collector is %s", slowest, name)
			}
			start := time.Now()
			p.signal(t)
			if code := p.exit(t, 15*time.Second); code != 0 {
				t.Fatalf("exit %d:\n%s", code, p.out)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Fatalf("stopped after %v: the last export is not bounded", took)
			}
		})
	}
}
