package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/internal/admission"
	"github.com/keelstack/keel/app/internal/health"
)

// TestOverCapacity: with the only slot held by a request whose body is still arriving, an API
// request gets a 503 problem with Retry-After, logged as refused, and every health path answers.
func TestOverCapacity(t *testing.T) {
	f := newFixture(t, health.Ready)
	limiter, err := admission.New(admission.Limits{MaxInflight: 1, Backlog: 1, MaxWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f.handler = New(Deps{Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Monitor: f.monitor, FreshnessWait: 100 * time.Millisecond,
		Version: "v-test", MaxBodyBytes: 1024, Admission: limiter, Deadline: 5 * time.Second})
	slowBody, feed := io.Pipe()
	held := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/greetings", slowBody))
		held <- rec
	}()
	for limiter.Stats().Inflight != 1 {
		time.Sleep(time.Millisecond)
	}

	rec := f.do("GET", "/api/v1/greetings?name=refused")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("over capacity: %d %v", rec.Code, rec.Header())
	}
	if b := body(t, rec); b["title"] != "over capacity" || b["status"] != float64(503) || !strings.Contains(b["detail"].(string), "waited too long") {
		t.Errorf("problem = %v", b)
	}
	for _, path := range []string{"/healthz", "/livez", "/readyz"} {
		if rec := f.do("GET", path); rec.Code != http.StatusOK {
			t.Errorf("%s with every slot taken: %d, want 200", path, rec.Code)
		}
	}
	_, _ = feed.Write([]byte(`{"name":"slow"}`))
	feed.Close()
	if rec := <-held; rec.Code != http.StatusOK {
		t.Errorf("the request holding the slot: %d", rec.Code)
	}
	if s := limiter.Stats(); s.Inflight != 0 || s.RefusedWaitExpired != 1 {
		t.Errorf("stats = %+v", s)
	}
	outcomes := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var m struct {
			Path      string
			Admission struct {
				Outcome string
				QueueMs float64 `json:"queue_ms"`
			}
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Path != "" {
			outcomes[m.Path+" "+m.Admission.Outcome] = m.Admission.QueueMs
		}
	}
	if q, ok := outcomes["/api/v1/greetings refused"]; !ok || q < 50 {
		t.Errorf("access log: want the refusal with its 50 ms in the queue, got %v\n%s", outcomes, f.logs)
	}
	if _, ok := outcomes["/api/v1/greetings admitted"]; !ok {
		t.Errorf("access log: want the admitted request, got %v", outcomes)
	}
}
