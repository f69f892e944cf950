package admission

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newLimiter(t *testing.T, l Limits) *Limiter {
	t.Helper()
	lim, err := New(l)
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

func TestLimitsValidate(t *testing.T) {
	for _, bad := range []Limits{
		{MaxInflight: 0, Backlog: 1, MaxWait: time.Second},
		{MaxInflight: 1, Backlog: -1, MaxWait: time.Second},
		{MaxInflight: 1, Backlog: 1, MaxWait: 0},
		{MaxInflight: 1, Backlog: 0, MaxWait: -time.Second},
	} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted bad limits", bad)
		}
	}
	if _, err := New(Limits{MaxInflight: 1}); err != nil {
		t.Errorf("no backlog and no wait is valid: %v", err)
	}
}

// TestAdmitsQueuesRefuses: MaxInflight run at once, Backlog more wait, the next is refused at
// once, a waiter is let in when a slot frees, and one that waits MaxWait is refused.
func TestAdmitsQueuesRefuses(t *testing.T) {
	l := newLimiter(t, Limits{MaxInflight: 2, Backlog: 1, MaxWait: 200 * time.Millisecond})
	ctx := context.Background()
	var held []func()
	for range 2 {
		release, waited, err := l.Acquire(ctx)
		if err != nil || waited != 0 {
			t.Fatalf("a free slot: waited %v, %v", waited, err)
		}
		held = append(held, release)
	}
	queued := make(chan error, 1)
	go func() {
		release, waited, err := l.Acquire(ctx)
		if err == nil {
			defer release()
			if waited < 50*time.Millisecond {
				err = errors.New("admitted without waiting")
			}
		}
		queued <- err
	}()
	waitFor(t, func() bool { return l.Stats().Waiting == 1 })
	start := time.Now()
	if _, _, err := l.Acquire(ctx); !errors.Is(err, ErrBacklogFull) {
		t.Fatalf("beyond the backlog: %v, want ErrBacklogFull", err)
	}
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Errorf("a full backlog refused after %v: it must refuse at once", took)
	}
	time.Sleep(100 * time.Millisecond)
	held[0]()
	if err := <-queued; err != nil {
		t.Fatalf("the waiter: %v", err)
	}
	// Slot 0 went to the waiter and is free again; slot 1 is still held.
	waitFor(t, func() bool { return l.Stats().Inflight == 1 })
	release, _, err := l.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, waited, err := l.Acquire(ctx); !errors.Is(err, ErrWaitExpired) || waited < 200*time.Millisecond {
		t.Fatalf("waited %v: %v, want ErrWaitExpired after MaxWait", waited, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("refused after %v, MaxWait is 200ms", took)
	}
	release()
	held[1]()
	s := l.Stats()
	if s.Inflight != 0 || s.Waiting != 0 || s.Admitted != 4 || s.Queued != 2 || s.RefusedBacklogFull != 1 || s.RefusedWaitExpired != 1 || s.Refused() != 2 || s.QueueTime < 250*time.Millisecond {
		t.Errorf("stats = %+v", s)
	}
}

func TestCancelledWhileWaiting(t *testing.T) {
	l := newLimiter(t, Limits{MaxInflight: 1, Backlog: 1, MaxWait: time.Minute})
	release, _, _ := l.Acquire(context.Background())
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, _, err := l.Acquire(ctx); done <- err }()
	waitFor(t, func() bool { return l.Stats().Waiting == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", err)
	}
	if s := l.Stats(); s.Waiting != 0 || s.Cancelled != 1 || s.Refused() != 0 {
		t.Errorf("the backlog place must be freed and the client counted as gone: %+v", s)
	}
}

func TestReleaseTwiceFreesOneSlot(t *testing.T) {
	l := newLimiter(t, Limits{MaxInflight: 2})
	a, _, _ := l.Acquire(context.Background())
	b, _, _ := l.Acquire(context.Background())
	defer b()
	a()
	a()
	if got := l.Stats().Inflight; got != 1 {
		t.Fatalf("in flight %d after releasing one of two slots twice, want 1", got)
	}
	if _, _, err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Acquire(context.Background()); !errors.Is(err, ErrBacklogFull) {
		t.Fatalf("a third request with 2 slots and no backlog: %v", err)
	}
}

// TestNoLeakUnderMixedLoad: 10 000 requests, some cancelled while waiting, some refused; the
// limit is never exceeded and every slot and backlog place is free at the end.
func TestNoLeakUnderMixedLoad(t *testing.T) {
	const maxInflight, backlog = 8, 8
	l := newLimiter(t, Limits{MaxInflight: maxInflight, Backlog: backlog, MaxWait: 2 * time.Millisecond})
	var running, peak atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range 10_000 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if i%7 == 0 {
				go func() { time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond); cancel() }()
			}
			release, _, err := l.Acquire(ctx)
			if err != nil {
				return
			}
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
			running.Add(-1)
			release()
		}()
	}
	wg.Wait()
	s := l.Stats()
	if s.Inflight != 0 || s.Waiting != 0 {
		t.Fatalf("leaked: %+v", s)
	}
	if peak.Load() > maxInflight {
		t.Errorf("%d ran at once, the limit is %d", peak.Load(), maxInflight)
	}
	if total := s.Admitted + s.Refused() + s.Cancelled; total != 10_000 {
		t.Errorf("admitted+refused+cancelled = %d, want 10000: %+v", total, s)
	}
	if s.Refused() == 0 || s.Queued == 0 {
		t.Errorf("the load must have queued and refused some: %+v", s)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5s")
}
