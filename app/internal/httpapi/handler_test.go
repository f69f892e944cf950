package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/internal/health"
	"github.com/keelstack/keel/app/vsync"
)

const secretValue = "postgres://app:hunter2@db/app"

type fakeVault struct{ kv map[string]string }

func (v fakeVault) GetEnv(k string) (string, bool) { s, ok := v.kv[k]; return s, ok }
func (v fakeVault) EnvSource(k string) vsync.Source {
	if _, ok := v.kv[k]; ok {
		return vsync.SourceVault
	}
	return vsync.SourceMissing
}
func (v fakeVault) Generation() int { return 7 }
func (v fakeVault) String() string  { return "<vsync:redacted gen=7 env=test>" }
func (v fakeVault) Close() error    { return nil }

type fixture struct {
	monitor *health.Monitor
	logs    *bytes.Buffer
	handler http.Handler
	remote  func(context.Context) (int64, error)
}

func newFixture(t *testing.T, phase health.Phase) *fixture {
	f := &fixture{monitor: &health.Monitor{}, logs: &bytes.Buffer{}}
	f.remote = func(context.Context) (int64, error) { return 7, nil }
	if phase != health.Booting {
		fresh := health.NewFreshness(7, func(ctx context.Context) (int64, error) { return f.remote(ctx) }, time.Nanosecond, time.Second, time.Now)
		f.monitor.Ready(fakeVault{kv: map[string]string{"DATABASE_URL": secretValue}}, fresh)
	}
	if phase == health.Draining {
		f.monitor.Drain()
	}
	f.handler = New(Deps{Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Monitor: f.monitor, FreshnessWait: 100 * time.Millisecond, Version: "v-test", MaxBodyBytes: 1024})
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), secretValue) {
			t.Errorf("a log line holds the vault value:\n%s", f.logs)
		}
	})
	return f
}

func (f *fixture) do(method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func body(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return m
}

func TestHealthz(t *testing.T) {
	tests := []struct {
		name   string
		phase  health.Phase
		remote func(context.Context) (int64, error)
		code   int
		status string
	}{
		{"booting", health.Booting, nil, 503, "booting"},
		{"fresh", health.Ready, nil, 200, "fresh"},
		{"stale", health.Ready, func(context.Context) (int64, error) { return 8, nil }, 200, "stale"},
		{"S3 down is unknown, still 200", health.Ready, func(context.Context) (int64, error) { return 0, vsync.ErrS3Unreachable }, 200, "unknown"},
		{"draining", health.Draining, nil, 503, "draining"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.phase)
			if tt.remote != nil {
				f.remote = tt.remote
			}
			time.Sleep(time.Millisecond) // past the 1ns interval: a check runs
			rec := f.do("GET", "/healthz")
			b := body(t, rec)
			if rec.Code != tt.code || b["status"] != tt.status || b["version"] != "v-test" {
				t.Fatalf("%d %v, want %d %s", rec.Code, b, tt.code, tt.status)
			}
			if tt.phase == health.Ready && b["gen"] != 7.0 {
				t.Fatalf("gen = %v", b["gen"])
			}
		})
	}
}

func TestHealthzAnswersWhileS3Hangs(t *testing.T) {
	f := newFixture(t, health.Ready)
	f.remote = func(ctx context.Context) (int64, error) { <-ctx.Done(); return 0, ctx.Err() }
	time.Sleep(time.Millisecond)
	start := time.Now()
	rec := f.do("GET", "/healthz")
	if took := time.Since(start); rec.Code != 200 || took > time.Second {
		t.Fatalf("%d after %v while S3 hangs, want 200 within the 100ms wait", rec.Code, took)
	}
}

func TestLivezAndReadyz(t *testing.T) {
	for phase, ready := range map[health.Phase]int{health.Booting: 503, health.Ready: 200, health.Draining: 503} {
		f := newFixture(t, phase)
		if rec := f.do("GET", "/livez"); rec.Code != 200 {
			t.Errorf("%v: livez %d", phase, rec.Code)
		}
		rec := f.do("GET", "/readyz")
		if b := body(t, rec); rec.Code != ready || b["phase"] != phase.String() {
			t.Errorf("%v: readyz %d %v", phase, rec.Code, b)
		}
	}
}

func TestProblems(t *testing.T) {
	f := newFixture(t, health.Ready)
	for _, tt := range []struct {
		method, path string
		code         int
	}{{"GET", "/api/v1/nope", 404}, {"PUT", "/api/v1/notes", 405}, {"DELETE", "/healthz", 405}} {
		rec := f.do(tt.method, tt.path, "X-Request-Id", "abc-123")
		b := body(t, rec)
		if rec.Code != tt.code || rec.Header().Get("Content-Type") != "application/problem+json" || b["status"] != float64(tt.code) || b["requestId"] != "abc-123" {
			t.Errorf("%s %s: %d %s %v", tt.method, tt.path, rec.Code, rec.Header().Get("Content-Type"), b)
		}
	}
}

func TestGreetings(t *testing.T) {
	f := newFixture(t, health.Ready)
	post := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/greetings", strings.NewReader(body)))
		return rec
	}
	if rec := post(`{"name":"Ada"}`); rec.Code != 200 || body(t, rec)["greeting"] != "Hello, Ada" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	for in, code := range map[string]int{
		`{"name":`:               400,
		`{"name":"x","extra":1}`: 400,
		`{"name":""}`:            422,
		`{"name":"` + strings.Repeat("x", 2000) + `"}`: 413, // over the fixture's 1 KiB limit
	} {
		if rec := post(in); rec.Code != code || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%.30s: %d %s, want %d problem", in, rec.Code, rec.Body, code)
		}
	}
	if rec := f.do("GET", "/api/v1/greetings?name=Ada"); rec.Code != 200 || body(t, rec)["greeting"] != "Hello, Ada" {
		t.Errorf("GET greetings?name=Ada: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do("GET", "/api/v1/greetings"); rec.Code != 422 {
		t.Errorf("GET greetings without a name: %d, want 422", rec.Code)
	}
	if rec := f.do("DELETE", "/api/v1/greetings"); rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("DELETE greetings: %d Allow=%q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestRequestID(t *testing.T) {
	f := newFixture(t, health.Ready)
	if got := f.do("GET", "/livez", "X-Request-Id", "trace-42").Header().Get("X-Request-Id"); got != "trace-42" {
		t.Errorf("echoed %q", got)
	}
	for _, bad := range []string{"", strings.Repeat("a", 129), "bad id\nwith newline"} {
		if got := f.do("GET", "/livez", "X-Request-Id", bad).Header().Get("X-Request-Id"); len(got) != 16 || got == bad {
			t.Errorf("for %q got %q, want a generated id", bad, got)
		}
	}
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t, health.Ready)
	f.do("GET", "/healthz")
	f.do("GET", "/livez")
	f.do("GET", "/api/v1/nope?token=s3cr3t", "X-Request-Id", "r1")
	lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1 (health checks are not logged):\n%s", len(lines), f.logs)
	}
	var entry map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &entry)
	if entry["path"] != "/api/v1/nope" || entry["status"] != 404.0 || entry["request_id"] != "r1" || strings.Contains(lines[0], "s3cr3t") {
		t.Fatalf("access log line %s", lines[0])
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	var logs bytes.Buffer
	h := chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("value " + secretValue) }),
		requestID, accessLog(slog.New(slog.NewJSONHandler(&logs, nil))), recoverPanics(slog.New(slog.NewJSONHandler(&logs, nil))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/x", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if strings.Contains(logs.String()+rec.Body.String(), "hunter2") || !strings.Contains(logs.String(), `"panic_type":"string"`) {
		t.Fatalf("panic log leaks the value or lacks the type:\n%s", logs.String())
	}
}

func TestDrainingAsksClientsToReconnect(t *testing.T) {
	f := newFixture(t, health.Draining)
	if got := f.do("GET", "/api/v1/nope").Header().Get("Connection"); got != "close" {
		t.Fatalf("Connection = %q while draining", got)
	}
	if got := newFixture(t, health.Ready).do("GET", "/livez").Header().Get("Connection"); got != "" {
		t.Fatalf("Connection = %q while ready", got)
	}
}

// TestNoSniffOnEveryResponse: every answer, errors included, in every phase, carries
// X-Content-Type-Options: nosniff.
func TestNoSniffOnEveryResponse(t *testing.T) {
	for _, phase := range []health.Phase{health.Booting, health.Ready, health.Draining} {
		f := newFixture(t, phase)
		for _, req := range [][2]string{
			{"GET", "/healthz"}, {"GET", "/livez"}, {"GET", "/readyz"}, {"GET", "/api/v1/notes"},
			{"POST", "/api/v1/greetings"}, {"GET", "/api/v1/greetings"}, {"GET", "/no/such/path"}, {"DELETE", "/healthz"},
		} {
			rec := f.do(req[0], req[1])
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%v %s %s: %d with X-Content-Type-Options %q", phase, req[0], req[1], rec.Code, got)
			}
		}
	}
}
