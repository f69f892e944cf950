package telemetry

import (
	"context"
	"net/http"
	"time"
)

// Telemetry is what the HTTP middleware reports to. A nil *Telemetry observes nothing.
type Telemetry struct {
	Metrics *Metrics
}

// StartRequest begins observing r, routed to pattern ("" when no route matched). The
// returned function ends it with the status written (0: nothing written, counted as 200).
func (t *Telemetry) StartRequest(r *http.Request, pattern string) (context.Context, func(status int, took time.Duration)) {
	route := Route(pattern)
	return r.Context(), func(status int, took time.Duration) {
		if status == 0 {
			status = http.StatusOK
		}
		t.Metrics.ObserveRequest(route, status, took)
	}
}

// Route is the Route dimension of a mux pattern: the pattern itself; Unmatched for none and
// for "/", which in a ServeMux matches every path no other pattern does.
func Route(pattern string) string {
	if pattern == "" || pattern == "/" {
		return Unmatched
	}
	return pattern
}
