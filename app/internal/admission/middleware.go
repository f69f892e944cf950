package admission

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Middleware admits HTTP requests through a Limiter and gives each admitted request a deadline.
type Middleware struct {
	// Limiter is nil when admission control is off; the deadline still applies.
	Limiter *Limiter
	// Timeout is the deadline of every request that is not exempt: its context is cancelled
	// then (reaching S3 and database calls made with it) and its body reads fail. 0 sets none.
	Timeout time.Duration
	// Exempt requests are neither limited nor given a deadline: health checks, which must
	// answer however busy the task is, or a busy task is marked unhealthy and replaced.
	Exempt func(*http.Request) bool
	// Refuse writes the refusal: a 503 whose Retry-After header is already set.
	Refuse func(w http.ResponseWriter, r *http.Request, reason error)
}

// Wrap returns next behind admission control.
func (m Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.Exempt != nil && m.Exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		note := noteFrom(r.Context())
		if m.Limiter != nil {
			release, waited, err := m.Limiter.Acquire(r.Context())
			note.Queued = waited
			if err != nil {
				m.refuse(w, r, note, err)
				return
			}
			defer release()
		}
		note.Outcome = "admitted"
		if m.Timeout <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), m.Timeout)
		defer cancel()
		deadline, _ := ctx.Deadline()
		// A slow body must not hold its slot past the deadline: net/http reads bodies under
		// the connection's read deadline, which a cancelled context does not move.
		_ = http.NewResponseController(w).SetReadDeadline(deadline)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (m Middleware) refuse(w http.ResponseWriter, r *http.Request, note *Note, err error) {
	if errors.Is(err, ErrBacklogFull) || errors.Is(err, ErrWaitExpired) {
		note.Outcome = "refused"
		w.Header().Set("Retry-After", strconv.Itoa(m.retryAfter()))
		m.Refuse(w, r, err)
		return
	}
	// The client went away while waiting: nobody reads an answer.
	note.Outcome = "cancelled"
}

// retryAfter is MaxWait rounded up to whole seconds (at least 1): by then the backlog that
// refused the request has turned over at least once.
func (m Middleware) retryAfter() int {
	return max(1, int(math.Ceil(m.Limiter.Limits().MaxWait.Seconds())))
}

// Note is what the middleware tells the access log about one request.
type Note struct {
	// Outcome is admitted, refused or cancelled; empty when the request was exempt.
	Outcome string
	Queued  time.Duration
}

type noteKey struct{}

// WithNote returns ctx carrying a Note that the middleware fills in, for the access log that
// wraps it to read once the request is served.
func WithNote(ctx context.Context) (context.Context, *Note) {
	n := &Note{}
	return context.WithValue(ctx, noteKey{}, n), n
}

// noteFrom returns ctx's Note, or a throwaway one when nobody asked.
func noteFrom(ctx context.Context) *Note {
	if n, ok := ctx.Value(noteKey{}).(*Note); ok {
		return n
	}
	return &Note{}
}

// LogValue groups the outcome and the queue time in milliseconds.
func (n *Note) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("outcome", n.Outcome),
		slog.Float64("queue_ms", float64(n.Queued.Microseconds())/1000),
	)
}
