package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/keelstack/keel/app/internal/admission"
	"github.com/keelstack/keel/app/internal/health"
)

const requestIDHeader = "X-Request-Id"

// validRequestID keeps a client's id out of logs unless it is short and plain.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

type middleware func(http.Handler) http.Handler

// chain applies mws so that the first one is outermost.
func chain(h http.Handler, mws ...middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// requestID accepts the caller's X-Request-Id (or generates one) and echoes it.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
			r.Header.Set(requestIDHeader, id)
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r)
	})
}

// noSniff tells browsers to take every response's Content-Type as given: a JSON or
// problem body must never be sniffed into HTML or script. Set before anything else runs, so
// that errors, panics and 404s carry it too.
func noSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// recorder remembers the status and size written.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// healthPaths are polled every few seconds by every ALB node: not worth a log line each.
var healthPaths = map[string]bool{"/healthz": true, "/livez": true, "/readyz": true}

// accessLog writes one JSON line per request: path without the query string (which may carry
// tokens), never headers or bodies.
func accessLog(log *slog.Logger) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if healthPaths[r.URL.Path] {
				next.ServeHTTP(w, r)
				return
			}
			start := time.Now()
			rec := &recorder{ResponseWriter: w}
			ctx, admitted := admission.WithNote(r.Context())
			next.ServeHTTP(rec, r.WithContext(ctx))
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", w.Header().Get(requestIDHeader)),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("remote_addr", r.RemoteAddr),
				slog.Any("admission", admitted),
			)
		})
	}
}

// recoverPanics turns a handler panic into a 500 problem. The panic value is not logged (it
// could hold a vault value); its type and the stack are.
func recoverPanics(log *slog.Logger) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v) // net/http's own signal to abort the response
				}
				log.LogAttrs(r.Context(), slog.LevelError, "handler panicked",
					slog.String("request_id", w.Header().Get(requestIDHeader)),
					slog.String("path", r.URL.Path),
					slog.String("panic_type", fmt.Sprintf("%T", v)),
					slog.String("stack", string(debug.Stack())),
				)
				problem(w, r, http.StatusInternalServerError, "internal error", "")
			}()
			next.ServeHTTP(w, r)
		})
	}
}

func limitBody(max int64) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, max)
			next.ServeHTTP(w, r)
		})
	}
}

// closeWhileDraining asks keep-alive clients to reconnect elsewhere once shutdown began.
func closeWhileDraining(m *health.Monitor) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if phase, _, _ := m.State(); phase == health.Draining {
				w.Header().Set("Connection", "close")
			}
			next.ServeHTTP(w, r)
		})
	}
}
