package admission

import "time"

// Stats is a snapshot of a limiter's gauges and counters since it was made. Counters only
// grow: a metrics writer reports their differences between two snapshots.
type Stats struct {
	// Inflight and Waiting are gauges: requests holding a slot, and waiting for one.
	Inflight, Waiting int64
	// Admitted counts requests given a slot, Queued those that waited first.
	Admitted, Queued uint64
	// RefusedBacklogFull and RefusedWaitExpired count refusals; Cancelled counts clients that
	// went away while waiting.
	RefusedBacklogFull, RefusedWaitExpired, Cancelled uint64
	// QueueTime is the total time spent waiting, admitted or not.
	QueueTime time.Duration
}

// Refused is every refusal.
func (s Stats) Refused() uint64 { return s.RefusedBacklogFull + s.RefusedWaitExpired }

// Stats returns the limiter's current figures.
func (l *Limiter) Stats() Stats {
	return Stats{
		Inflight:           int64(len(l.slots)),
		Waiting:            l.waiting.Load(),
		Admitted:           l.stats.admitted.Load(),
		Queued:             l.stats.queued.Load(),
		RefusedBacklogFull: l.stats.refusedFull.Load(),
		RefusedWaitExpired: l.stats.refusedWait.Load(),
		Cancelled:          l.stats.cancelled.Load(),
		QueueTime:          time.Duration(l.stats.queueNanos.Load()),
	}
}
