package admission

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMiddlewareRefusesWithRetryAfterAndExemptsHealth(t *testing.T) {
	l := newLimiter(t, Limits{MaxInflight: 1, Backlog: 0, MaxWait: 1500 * time.Millisecond})
	var refusedFor error
	m := Middleware{
		Limiter: l,
		Timeout: time.Second,
		Exempt:  func(r *http.Request) bool { return r.URL.Path == "/healthz" },
		Refuse: func(w http.ResponseWriter, _ *http.Request, reason error) {
			refusedFor = reason
			w.WriteHeader(http.StatusServiceUnavailable)
		},
	}
	entered, finish := make(chan struct{}), make(chan struct{})
	h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-finish
		}
	}))
	go h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/slow", nil))
	<-entered
	defer close(finish)

	ctx, note := WithNote(context.Background())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "2" || !errors.Is(refusedFor, ErrBacklogFull) {
		t.Errorf("over the limit: %d Retry-After %q (%v), want 503, 2 (MaxWait rounded up), ErrBacklogFull", rec.Code, rec.Header().Get("Retry-After"), refusedFor)
	}
	if note.Outcome != "refused" {
		t.Errorf("note = %+v, want refused", note)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("health check with every slot taken: %d, want 200", rec.Code)
	}
}

func TestMiddlewareDeadline(t *testing.T) {
	for _, tt := range []struct {
		name    string
		timeout time.Duration
		exempt  bool
		want    bool
	}{{"deadline", 300 * time.Millisecond, false, true}, {"none when 0", 0, false, false}, {"none when exempt", time.Second, true, false}} {
		t.Run(tt.name, func(t *testing.T) {
			m := Middleware{Timeout: tt.timeout, Exempt: func(*http.Request) bool { return tt.exempt }}
			var deadline time.Time
			var has bool
			m.Wrap(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				deadline, has = r.Context().Deadline()
			})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api", nil))
			if has != tt.want {
				t.Fatalf("deadline set = %v, want %v", has, tt.want)
			}
			if has && time.Until(deadline) > tt.timeout {
				t.Errorf("deadline in %v, over the %v timeout", time.Until(deadline), tt.timeout)
			}
		})
	}
}

func TestNoteLogValue(t *testing.T) {
	var b strings.Builder
	n := &Note{Outcome: "admitted", Queued: 1500 * time.Microsecond}
	slog.New(slog.NewJSONHandler(&b, nil)).Info("request", "admission", n)
	if !strings.Contains(b.String(), `"admission":{"outcome":"admitted","queue_ms":1.5}`) {
		t.Errorf("log line %s", b.String())
	}
}
