package server

import (
	"fmt"
	"log/slog"

	"github.com/keelstack/keel/app/internal/admission"
	"github.com/keelstack/keel/app/internal/config"
)

// newLimiter is the service's admission limiter, nil when MaxInflight is 0 (off).
func newLimiter(a config.Admission) (*admission.Limiter, error) {
	if a.MaxInflight == 0 {
		return nil, nil
	}
	l, err := admission.New(admission.Limits{MaxInflight: a.MaxInflight, Backlog: a.Backlog, MaxWait: a.MaxWait})
	if err != nil {
		return nil, fmt.Errorf("%w (set ADMISSION_MAX_INFLIGHT, ADMISSION_BACKLOG, ADMISSION_MAX_WAIT)", err)
	}
	return l, nil
}

// admissionAttrs says at boot which limits the task runs with.
func admissionAttrs(a config.Admission) slog.Value {
	if a.MaxInflight == 0 {
		return slog.GroupValue(slog.Bool("on", false), slog.String("request_timeout", a.RequestTimeout.String()))
	}
	return slog.GroupValue(slog.Bool("on", true), slog.Int("max_inflight", a.MaxInflight), slog.Int("backlog", a.Backlog),
		slog.String("max_wait", a.MaxWait.String()), slog.String("request_timeout", a.RequestTimeout.String()))
}

// statsValue is the limiter's figures since boot, logged when the service stops: slots still
// held then would be a leak.
func statsValue(l *admission.Limiter) slog.Value {
	if l == nil {
		return slog.GroupValue(slog.Bool("on", false))
	}
	s := l.Stats()
	return slog.GroupValue(slog.Int64("inflight", s.Inflight), slog.Int64("waiting", s.Waiting),
		slog.Uint64("admitted", s.Admitted), slog.Uint64("queued", s.Queued),
		slog.Uint64("refused_backlog_full", s.RefusedBacklogFull), slog.Uint64("refused_wait_expired", s.RefusedWaitExpired),
		slog.Uint64("cancelled", s.Cancelled), slog.Float64("queue_seconds", s.QueueTime.Seconds()))
}
