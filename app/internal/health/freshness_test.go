package health

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

// fakeRemote counts S3 checks and answers with gen (or err), after delay.
type fakeRemote struct {
	calls atomic.Int64
	gen   atomic.Int64
	err   atomic.Value
	delay time.Duration
}

func (f *fakeRemote) check(ctx context.Context) (int64, error) {
	f.calls.Add(1)
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if err, _ := f.err.Load().(error); err != nil {
		return 0, err
	}
	return f.gen.Load(), nil
}

func TestFreshnessCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		remote := &fakeRemote{delay: 50 * time.Millisecond}
		remote.gen.Store(3)
		f := NewFreshness(3, remote.check, 30*time.Second, 5*time.Second, time.Now)

		if r := f.Report(context.Background(), time.Second); r.Status != Fresh || remote.calls.Load() != 0 {
			t.Fatalf("right after boot: %+v after %d checks, want fresh from the boot itself", r, remote.calls.Load())
		}
		time.Sleep(31 * time.Second)
		var wg sync.WaitGroup
		for range 200 { // ALB nodes x AZs x ... all arriving at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := f.Report(context.Background(), time.Second); r.Status != Fresh {
					t.Errorf("report %+v", r)
				}
			}()
		}
		wg.Wait()
		if n := remote.calls.Load(); n != 1 {
			t.Fatalf("200 concurrent health checks made %d S3 checks, want 1", n)
		}
		for range 100 {
			f.Report(context.Background(), time.Second)
			time.Sleep(100 * time.Millisecond) // 10 s: still within the interval
		}
		if n := remote.calls.Load(); n != 1 {
			t.Fatalf("checks within the interval made %d S3 checks, want 1", n)
		}
	})
}

func TestFreshnessStaleAndUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		remote := &fakeRemote{}
		remote.gen.Store(5)
		f := NewFreshness(4, remote.check, time.Second, 5*time.Second, time.Now)
		time.Sleep(2 * time.Second)
		if r := f.Report(context.Background(), time.Second); r.Status != Stale || *r.RemoteGen != 5 || r.Gen != 4 {
			t.Fatalf("report %+v, want stale 4 < 5", r)
		}
		remote.err.Store(errors.Join(vsync.ErrS3Unreachable))
		time.Sleep(2 * time.Second)
		if r := f.Report(context.Background(), time.Second); r.Status != Unknown || r.Error != "S3UnreachableError" {
			t.Fatalf("report %+v, want unknown with the error class", r)
		}
	})
}

func TestFreshnessBoundsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		remote := &fakeRemote{delay: time.Hour} // S3 hangs; the check's own timeout ends it
		remote.gen.Store(1)
		f := NewFreshness(1, remote.check, time.Second, 5*time.Second, time.Now)
		time.Sleep(2 * time.Second)
		start := time.Now()
		r := f.Report(context.Background(), 250*time.Millisecond)
		if waited := time.Since(start); waited != 250*time.Millisecond || r.Status != Fresh {
			t.Fatalf("waited %v for %+v, want 250ms and the last known (fresh) report", waited, r)
		}
		if r := f.Report(context.Background(), 250*time.Millisecond); r.Status != Fresh || remote.calls.Load() != 1 {
			t.Fatalf("second caller: %+v, %d checks; want the last report and no second check", r, remote.calls.Load())
		}
		time.Sleep(5 * time.Second) // the check times out
		if r := f.Report(context.Background(), 0); r.Status != Unknown {
			t.Fatalf("after the check timed out: %+v, want unknown", r)
		}
	})
}

func TestFreshnessAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		remote := &fakeRemote{}
		remote.gen.Store(1)
		f := NewFreshness(1, remote.check, time.Second, 5*time.Second, time.Now)
		time.Sleep(3 * time.Second)
		if age := f.Age(); age != 3*time.Second || remote.calls.Load() != 0 {
			t.Fatalf("age %v after %d checks, want 3s and no check started by reading it", age, remote.calls.Load())
		}
		f.Report(context.Background(), time.Second) // fresh: confirmed now
		if age := f.Age(); age != 0 {
			t.Fatalf("age %v right after a fresh check", age)
		}
		remote.err.Store(errors.Join(vsync.ErrS3Unreachable))
		time.Sleep(2 * time.Second)
		f.Report(context.Background(), time.Second) // unknown: the age keeps growing
		if age := f.Age(); age != 2*time.Second {
			t.Fatalf("age %v after a failed check, want 2s", age)
		}
	})
}
