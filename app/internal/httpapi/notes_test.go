package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/internal/health"
	"github.com/keelstack/keel/app/internal/store"
)

// fakeDB blocks every query until its context ends, recording the deadline it had; ping
// answers pingErr.
type fakeDB struct {
	deadline time.Duration
	pingErr  error
}

func (f *fakeDB) wait(ctx context.Context) error {
	if d, ok := ctx.Deadline(); ok {
		f.deadline = time.Until(d)
	}
	<-ctx.Done()
	return ctx.Err()
}
func (f *fakeDB) CreateNote(ctx context.Context, _ *string, _ string) (store.Note, error) {
	return store.Note{}, f.wait(ctx)
}
func (f *fakeDB) Note(ctx context.Context, _ int64) (store.Note, error) {
	return store.Note{}, f.wait(ctx)
}
func (f *fakeDB) Notes(ctx context.Context, _ int64, _ int) ([]store.Note, error) {
	return nil, f.wait(ctx)
}
func (f *fakeDB) DeleteNote(ctx context.Context, _ int64) error { return f.wait(ctx) }
func (f *fakeDB) Ping(context.Context) error                    { return f.pingErr }
func (f *fakeDB) Stats() store.Stats                            { return store.Stats{Max: 4} }

func notesHandler(t *testing.T, db *fakeDB, configured bool) http.Handler {
	f := newFixture(t, health.Ready)
	d := Deps{Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Monitor: f.monitor, FreshnessWait: 100 * time.Millisecond, Version: "v", MaxBodyBytes: 1024, QueryTimeout: 50 * time.Millisecond}
	if configured {
		d.Database = func() (Database, bool) { return db, true }
	}
	return New(d)
}

// TestQueryDeadlineReachesTheStore: the store sees the request's QueryTimeout as its context's
// deadline, and a query that outlives it is a 503 problem, not a hang.
func TestQueryDeadlineReachesTheStore(t *testing.T) {
	db := &fakeDB{}
	h := notesHandler(t, db, true)
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/notes/7", nil))
	if rec.Code != 503 || rec.Header().Get("Content-Type") != "application/problem+json" || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if took := time.Since(start); db.deadline <= 0 || db.deadline > 50*time.Millisecond || took > time.Second {
		t.Fatalf("the store saw a deadline %v away (want ≤ 50ms), answered after %v", db.deadline, took)
	}
}

func TestHealthReportsTheDatabase(t *testing.T) {
	down := &fakeDB{pingErr: &store.Error{Class: store.ClassUnreachable, Detail: "refused"}}
	h := notesHandler(t, down, true)
	for path, code := range map[string]int{"/healthz": 200, "/readyz": 503} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != code || !strings.Contains(rec.Body.String(), `"status":"down","error":"DatabaseUnreachableError"`) {
			t.Errorf("%s with the database down: %d %s", path, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	notesHandler(t, &fakeDB{}, true).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"pool":{`) {
		t.Errorf("readyz with the database up: %d %s", rec.Code, rec.Body)
	}
	none := notesHandler(t, nil, false)
	rec = httptest.NewRecorder()
	none.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/notes", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "no database") {
		t.Errorf("notes without a database: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	none.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"database":{"status":"none"}`) {
		t.Errorf("healthz without a database: %d %s", rec.Code, rec.Body)
	}
}

func TestStoreErrorsNeverReachTheClient(t *testing.T) {
	db := &errDB{err: &store.Error{Class: store.ClassQuery, Detail: "relation notes: secret-detail"}}
	f := newFixture(t, health.Ready)
	h := New(Deps{Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Monitor: f.monitor, MaxBodyBytes: 1024, QueryTimeout: time.Second,
		Database: func() (Database, bool) { return db, true }})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/v1/notes/3", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret-detail") || !strings.Contains(f.logs.String(), `"error":"DatabaseQueryError"`) {
		t.Fatalf("%d %s\nlogs: %s", rec.Code, rec.Body, f.logs)
	}
	db.err = store.ErrNotFound
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/v1/notes/3", nil))
	if rec.Code != 404 {
		t.Fatalf("not found: %d", rec.Code)
	}
}

type errDB struct {
	fakeDB
	err error
}

func (e *errDB) DeleteNote(context.Context, int64) error { return e.err }
