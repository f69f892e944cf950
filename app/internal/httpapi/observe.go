package httpapi

import (
	"net/http"
	"time"

	"github.com/keelstack/keel/app/internal/telemetry"
)

// observe measures every request under its route template: the pattern the mux would pick,
// never the raw path, so that IDs in paths and scans of random URLs add no metric.
func observe(t *telemetry.Telemetry, mux *http.ServeMux) middleware {
	return func(next http.Handler) http.Handler {
		if t == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, pattern := mux.Handler(r)
			ctx, done := t.StartRequest(r, pattern)
			rec := &recorder{ResponseWriter: w}
			start := time.Now()
			defer func() { done(rec.status, time.Since(start)) }()
			next.ServeHTTP(rec, r.WithContext(ctx))
		})
	}
}
