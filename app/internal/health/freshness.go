package health

import (
	"context"
	"sync"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

// Status says whether the running vault is the newest one published.
type Status string

const (
	Fresh   Status = "fresh"
	Stale   Status = "stale"   // a newer generation is published: roll the service
	Unknown Status = "unknown" // the last check failed; the service keeps serving
)

// Report is the last freshness check's result.
type Report struct {
	Status    Status    `json:"status"`
	Gen       int       `json:"gen"`
	RemoteGen *int64    `json:"remoteGen,omitempty"`
	CheckedAt time.Time `json:"checkedAt"`
	// Error is the vsync error class of a failed check (never its text).
	Error string `json:"error,omitempty"`
}

// Freshness compares the running generation with S3's, at most once per interval however
// many callers ask: callers within the interval get the cached report, concurrent callers
// share one check in flight, and no caller waits longer than its own bound.
type Freshness struct {
	remote   func(context.Context) (int64, error)
	local    int
	interval time.Duration
	timeout  time.Duration
	now      func() time.Time

	mu      sync.Mutex
	last    Report
	running chan struct{} // open while a check is in flight
	// confirmed is when a check (or the boot) last found the running generation the newest.
	confirmed time.Time
}

// NewFreshness starts from a fresh report at now: the boot has just read the newest bundle.
// remote is the S3 check (Client.RemoteGeneration); timeout bounds each check.
func NewFreshness(local int, remote func(context.Context) (int64, error), interval, timeout time.Duration, now func() time.Time) *Freshness {
	gen := int64(local)
	f := &Freshness{
		remote: remote, local: local, interval: interval, timeout: timeout, now: now,
		last: Report{Status: Fresh, Gen: local, RemoteGen: &gen, CheckedAt: now()},
	}
	f.confirmed = f.last.CheckedAt
	return f
}

// Report returns the current report, starting a check when the last one is older than the
// interval and waiting at most wait for it; past that it returns the last known report.
func (f *Freshness) Report(ctx context.Context, wait time.Duration) Report {
	f.mu.Lock()
	if f.now().Sub(f.last.CheckedAt) < f.interval {
		r := f.last
		f.mu.Unlock()
		return r
	}
	if f.running == nil {
		f.running = make(chan struct{})
		go f.check(context.WithoutCancel(ctx), f.running)
	}
	done, last := f.running, f.last
	f.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.last
	case <-timer.C:
	case <-ctx.Done():
	}
	return last
}

// check runs detached from any request's cancellation, so that a caller giving up does not
// cancel it; it keeps the request's values (its span: the S3 calls are traced as its children).
func (f *Freshness) check(ctx context.Context, done chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	remote, err := f.remote(ctx)
	cancel()
	r := Report{Gen: f.local, CheckedAt: f.now()}
	switch {
	case err != nil:
		r.Status, r.Error = Unknown, vsync.CanonicalName(err)
		if r.Error == "" {
			r.Error = "Error"
		}
	case remote > int64(f.local):
		r.Status, r.RemoteGen = Stale, &remote
	default:
		r.Status, r.RemoteGen = Fresh, &remote
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last, f.running = r, nil
	if r.Status == Fresh {
		f.confirmed = r.CheckedAt
	}
	close(done)
}

// Age is how long ago the running generation was last confirmed the newest published: it
// grows while S3 is unreachable or a newer generation waits, without starting a check.
func (f *Freshness) Age() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now().Sub(f.confirmed)
}
