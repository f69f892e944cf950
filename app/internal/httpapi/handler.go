// Package httpapi is the service's HTTP surface: the health endpoints the ALB and ECS use, a
// small example API, and the middleware every request goes through.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keelstack/keel/app/internal/admission"
	"github.com/keelstack/keel/app/internal/health"
	"github.com/keelstack/keel/app/internal/telemetry"
)

// Deps is what the handlers need.
type Deps struct {
	Logger  *slog.Logger
	Monitor *health.Monitor
	// FreshnessWait bounds how long /healthz waits for an S3 freshness check.
	FreshnessWait time.Duration
	Version       string
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// Database returns the open store (nil while booting) and whether one is configured; a nil
	// Database means none is. QueryTimeout is each request's deadline for its database work.
	Database     func() (Database, bool)
	QueryTimeout time.Duration
	// Admission limits requests in flight (nil: no limit) and Deadline bounds each API
	// request (0: none); health paths are exempt from both.
	Admission *admission.Limiter
	Deadline  time.Duration
	// Telemetry receives every request's metrics and span (nil: none).
	Telemetry *telemetry.Telemetry
}

// New returns the service's handler with its middleware.
func New(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", get(d.healthz))
	mux.HandleFunc("/livez", get(livez))
	mux.HandleFunc("/readyz", get(d.readyz))
	mux.HandleFunc("/api/v1/greetings", only(greet, http.MethodGet, http.MethodHead, http.MethodPost))
	mux.HandleFunc("/api/v1/notes", only(d.notes, http.MethodGet, http.MethodHead, http.MethodPost))
	mux.HandleFunc("/api/v1/notes/{id}", only(d.note, http.MethodGet, http.MethodHead, http.MethodDelete))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem(w, r, http.StatusNotFound, "no such resource", "")
	})
	return chain(mux,
		noSniff,
		requestID,
		observe(d.Telemetry, mux),
		accessLog(d.Logger),
		canonicalPrivatePaths,
		recoverPanics(d.Logger),
		limitBody(d.MaxBodyBytes),
		closeWhileDraining(d.Monitor),
		admit(d.Admission, d.Deadline),
	)
}

// healthz is the ALB's check: 200 whenever the service can serve, whatever S3 or the database
// say (an outage of either must not drain every task at once; both are reported); 503 while
// booting or draining.
func (d Deps) healthz(w http.ResponseWriter, r *http.Request) {
	phase, _, freshness := d.Monitor.State()
	if phase != health.Ready {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": phase.String(), "version": d.Version})
		return
	}
	writeJSON(w, http.StatusOK, struct {
		health.Report
		Version  string    `json:"version"`
		Database *dbReport `json:"database,omitempty"`
	}{freshness.Report(r.Context(), d.FreshnessWait), d.Version, d.databaseReport(r.Context())})
}

// livez is the container health check's: is the process serving HTTP? No S3, no vault.
func livez(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

// readyz is ready when booted, not draining, and the database (if any) answers.
func (d Deps) readyz(w http.ResponseWriter, r *http.Request) {
	phase, vault, _ := d.Monitor.State()
	ready := phase == health.Ready
	body := map[string]any{"phase": phase.String(), "version": d.Version}
	if vault != nil {
		body["gen"] = vault.Generation()
	}
	if db := d.databaseReport(r.Context()); db != nil {
		if open, _ := d.db(); open != nil {
			st := open.Stats()
			db.Pool = &st
		}
		body["database"] = db
		ready = ready && db.Status != "down"
	}
	body["ready"] = ready
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}

// greet is the example of a handler that reads a JSON body: {"name": "..."}.
// greet answers POST {"name": ...} and, cheaply for load tests, GET ?name=...: no database, no
// body, only the middleware and a JSON answer.
func greet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if r.Method != http.MethodPost {
		in.Name = r.URL.Query().Get("name")
		sayHello(w, r, in.Name)
		return
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			problem(w, r, http.StatusRequestEntityTooLarge, "body too large", fmt.Sprintf("the limit is %d bytes", tooLarge.Limit))
			return
		}
		problem(w, r, http.StatusBadRequest, "malformed body", `send {"name": "..."} as JSON`)
		return
	}
	sayHello(w, r, in.Name)
}

func sayHello(w http.ResponseWriter, r *http.Request, name string) {
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		problem(w, r, http.StatusUnprocessableEntity, "invalid name", "name must be 1 to 100 characters")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"greeting": "Hello, " + name})
}

// get restricts a handler to GET and HEAD.
func get(h http.HandlerFunc) http.HandlerFunc { return only(h, http.MethodGet, http.MethodHead) }

// only answers methods other than methods with a 405 problem.
func only(h http.HandlerFunc, methods ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(methods, r.Method) {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			problem(w, r, http.StatusMethodNotAllowed, "method not allowed", r.Method+" is not supported here")
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// problem writes an RFC 9457 problem document.
func problem(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	body := map[string]any{"type": "about:blank", "title": title, "status": status, "instance": r.URL.Path}
	if detail != "" {
		body["detail"] = detail
	}
	if id := w.Header().Get(requestIDHeader); id != "" {
		body["requestId"] = id
	}
	_ = json.NewEncoder(w).Encode(body)
}
