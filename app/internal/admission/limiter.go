// Package admission bounds the work a task accepts: a limit on requests in flight, a bounded
// backlog that waits at most a set time for a slot, and a deadline on each admitted request.
// Past capacity a burst queues briefly and is then refused fast, so the requests that are
// admitted keep their latency and the process keeps its memory.
package admission

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Limits configure a Limiter.
type Limits struct {
	// MaxInflight is how many requests run at once.
	MaxInflight int
	// Backlog is how many more may wait for a slot; beyond it a request is refused at once.
	Backlog int
	// MaxWait is how long a request waits in the backlog before it is refused.
	MaxWait time.Duration
}

// Validate names the first bad limit.
func (l Limits) Validate() error {
	switch {
	case l.MaxInflight < 1:
		return fmt.Errorf("admission: MaxInflight = %d: at least 1 request must run", l.MaxInflight)
	case l.Backlog < 0:
		return fmt.Errorf("admission: Backlog = %d: use 0 (refuse when every slot is taken) or more", l.Backlog)
	case l.MaxWait < 0 || (l.Backlog > 0 && l.MaxWait == 0):
		return fmt.Errorf("admission: MaxWait = %v: a backlog needs a positive wait", l.MaxWait)
	}
	return nil
}

// Why a request was not admitted.
var (
	ErrBacklogFull = errors.New("backlog full")
	ErrWaitExpired = errors.New("waited too long for a slot")
)

// Limiter admits requests. Its zero value is not usable: use New.
type Limiter struct {
	limits  Limits
	slots   chan struct{}
	waiting atomic.Int64
	stats   counters
}

type counters struct {
	admitted, queued, refusedFull, refusedWait, cancelled atomic.Uint64
	queueNanos                                            atomic.Int64
}

// New returns a limiter with limits, which must be valid.
func New(limits Limits) (*Limiter, error) {
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	return &Limiter{limits: limits, slots: make(chan struct{}, limits.MaxInflight)}, nil
}

// Limits returns the limiter's limits.
func (l *Limiter) Limits() Limits { return l.limits }

// Acquire takes a slot, waiting in the backlog when all are taken. On success the caller must
// call release exactly once. waited is the time spent in the backlog. The error is
// ErrBacklogFull, ErrWaitExpired, or ctx's error when the caller gave up while waiting.
func (l *Limiter) Acquire(ctx context.Context) (release func(), waited time.Duration, err error) {
	select {
	case l.slots <- struct{}{}:
		l.stats.admitted.Add(1)
		return l.releaser(), 0, nil
	default:
	}
	if l.waiting.Add(1) > int64(l.limits.Backlog) {
		l.waiting.Add(-1)
		l.stats.refusedFull.Add(1)
		return nil, 0, ErrBacklogFull
	}
	defer l.waiting.Add(-1)
	l.stats.queued.Add(1)
	start := time.Now()
	timer := time.NewTimer(l.limits.MaxWait)
	defer timer.Stop()
	select {
	case l.slots <- struct{}{}:
		waited = time.Since(start)
		l.stats.queueNanos.Add(int64(waited))
		l.stats.admitted.Add(1)
		return l.releaser(), waited, nil
	case <-timer.C:
		waited = time.Since(start)
		l.stats.queueNanos.Add(int64(waited))
		l.stats.refusedWait.Add(1)
		return nil, waited, ErrWaitExpired
	case <-ctx.Done():
		waited = time.Since(start)
		l.stats.queueNanos.Add(int64(waited))
		l.stats.cancelled.Add(1)
		return nil, waited, ctx.Err()
	}
}

// releaser frees the slot once, however often it is called: a double release would let one
// more request in than the limit allows.
func (l *Limiter) releaser() func() {
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			<-l.slots
		}
	}
}
