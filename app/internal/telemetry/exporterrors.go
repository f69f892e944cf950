package telemetry

import (
	"log/slog"
	"sync"
	"time"
)

// exportErrorEvery bounds the warnings about failed exports: a receiver that refuses every
// batch (X-Ray's endpoint before Transaction Search is on, a collector that is down) would
// otherwise log a line per batch, every few seconds, for as long as it lasts.
const exportErrorEvery = time.Minute

// exportErrors logs the first failed export, then at most one line per exportErrorEvery with
// the number of failures it stands for.
type exportErrors struct {
	log *slog.Logger
	now func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (e *exportErrors) Handle(err error) {
	e.mu.Lock()
	now := e.now()
	if !e.last.IsZero() && now.Sub(e.last) < exportErrorEvery {
		e.suppressed++
		e.mu.Unlock()
		return
	}
	suppressed := e.suppressed
	e.last, e.suppressed = now, 0
	e.mu.Unlock()
	e.log.Warn("spans not exported", "error", err.Error(), "failures_since_last_warning", suppressed)
}
