package vsync_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

type publishedStore struct {
	store *vsynctest.MemStore
	cfg   vsync.Config
}

func TestPublishRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, rel := range map[string]vsync.Release{
		"with assets":    testRelease,
		"without assets": {KV: map[string]string{"A": "1"}},
	} {
		t.Run(name, func(t *testing.T) {
			store := vsynctest.NewMemStore()
			cfg := testConfig("team/app/prod/")
			p, err := vsync.Publish(ctx, store, cfg, testPass, rel, time.Date(2026, 5, 23, 11, 42, 1, 0, time.UTC), lowFloor)
			if err != nil {
				t.Fatal(err)
			}
			if p.TS != "20260523-114201" || p.Generation != 1 {
				t.Fatalf("Published = %+v", p)
			}
			want := []string{"team/app/prod/latest.meta", "team/app/prod/manifest", "team/app/prod/v=20260523-114201"}
			if got := store.Keys(); !slices.Equal(got, want) {
				t.Fatalf("keys = %v, want %v", got, want)
			}
			got, _, err := vsync.ReadRelease(ctx, store, cfg, testPass)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.KV) != len(rel.KV) || len(got.Assets) != len(rel.Assets) {
				t.Fatalf("read back %v", got)
			}
		})
	}
}

func TestReaderAcceptsHandWrittenFlatVault(t *testing.T) {
	store := vsynctest.NewMemStore()
	cfg := testConfig("p/")
	key := vsync.DeriveKey(testPass, cfg.Salt, cfg.Iterations)
	bundle, _ := vsync.SealEnvelope(key, []byte(`{"A":"1","kv_like":"x"}`))
	store.Put("p/v=20260101-000000", bundle)
	store.Put("p/manifest", []byte("RQEM000120260101-000000"+`{"gen":42}`))
	c, err := vsync.OpenWith(context.Background(), mustBlob(t, cfg), testPass, vsync.WithFetcher(store))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.GetEnv("A"); v != "1" || c.Generation() != 0 {
		t.Fatalf("A=%q gen=%d: want 1 and gen 0 (the manifest payload is not the generation for readers)", v, c.Generation())
	}
}

// recorder logs the order of writes.
type recorder struct {
	*vsynctest.MemStore
	mu     sync.Mutex
	writes []string
}

func (r *recorder) PutObject(ctx context.Context, key string, body []byte, c vsync.Condition) error {
	r.mu.Lock()
	r.writes = append(r.writes, key[strings.LastIndex(key, "/")+1:])
	r.mu.Unlock()
	return r.MemStore.PutObject(ctx, key, body, c)
}

func TestPublishOrder(t *testing.T) {
	rec := &recorder{MemStore: vsynctest.NewMemStore()}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := vsync.Publish(context.Background(), rec, testConfig("p/"), testPass, testRelease, now, lowFloor); err != nil {
		t.Fatal(err)
	}
	// Same second again: the timestamp moves on so that the first bundle is never overwritten.
	p, err := vsync.Publish(context.Background(), rec, testConfig("p/"), testPass, testRelease, now, lowFloor)
	if err != nil || p.TS != "20260101-000001" || p.Generation != 2 {
		t.Fatalf("second publish = %+v, %v", p, err)
	}
	want := []string{"v=20260101-000000", "manifest", "latest.meta", "v=20260101-000001", "manifest", "latest.meta"}
	if !slices.Equal(rec.writes, want) {
		t.Fatalf("writes = %v, want %v", rec.writes, want)
	}
}

func TestInterruptedPublishKeepsPreviousGeneration(t *testing.T) {
	ctx := context.Background()
	for _, failAt := range []string{"v=", "manifest"} {
		t.Run(failAt, func(t *testing.T) {
			store, cfg := published(t, "p/")
			store.SetFault(func(_ context.Context, op, key string) error {
				if op == "put" && strings.Contains(key, failAt) {
					return errors.New("killed")
				}
				return nil
			})
			next := vsync.Release{KV: map[string]string{"DATABASE_URL": "new"}}
			if _, err := vsync.Publish(ctx, store, cfg, testPass, next, time.Now().Add(time.Hour), lowFloor); err == nil {
				t.Fatal("Publish succeeded through a failing write")
			}
			store.SetFault(nil)
			c, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithFetcher(store))
			if err != nil {
				t.Fatalf("previous generation unreadable: %v", err)
			}
			if v, _ := c.GetEnv("DATABASE_URL"); v != secretVal || c.Generation() != 1 {
				t.Fatalf("after a failed publish: %q gen %d", v, c.Generation())
			}
			if n := len(store.Keys()); n != 3 {
				t.Fatalf("a failed publish left %d objects, want the 3 of generation 1: %v", n, store.Keys())
			}
		})
	}
}

func TestConcurrentPublishesStayConsistent(t *testing.T) {
	ctx := context.Background()
	store, cfg := published(t, "p/")
	const writers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []vsync.Published
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := vsync.Publish(ctx, store, cfg, testPass, testRelease, time.Now().Add(time.Duration(i)*time.Second), lowFloor)
			if err == nil {
				mu.Lock()
				won = append(won, p)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(won) == 0 {
		t.Fatal("no publish won")
	}
	c, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithFetcher(store))
	if err != nil {
		t.Fatalf("state after concurrent publishes is unreadable: %v", err)
	}
	top := slices.MaxFunc(won, func(a, b vsync.Published) int { return a.Generation - b.Generation })
	if c.Generation() != top.Generation {
		t.Fatalf("latest.meta gen %d, but the newest successful publish made gen %d", c.Generation(), top.Generation)
	}
	ts, _ := vsync.ParseManifest(store.Get("p/manifest"))
	if ts != top.TS {
		t.Fatalf("manifest names %s, the newest publish wrote %s", ts, top.TS)
	}
}

func TestPublishRefuses(t *testing.T) {
	store := vsynctest.NewMemStore()
	bad := testConfig("no-slash")
	if _, err := vsync.Publish(context.Background(), store, bad, testPass, testRelease, time.Now(), lowFloor); err == nil {
		t.Fatal("Publish accepted a prefix without a trailing slash")
	}
	if _, err := vsync.Publish(context.Background(), store, testConfig("p/"), "", testRelease, time.Now(), lowFloor); err == nil {
		t.Fatal("Publish accepted an empty passphrase")
	}
	store.Put("p/manifest", []byte("garbage"))
	if _, err := vsync.Publish(context.Background(), store, testConfig("p/"), testPass, testRelease, time.Now(), lowFloor); err == nil {
		t.Fatal("Publish overwrote an unreadable manifest")
	}
	if len(store.Keys()) != 1 {
		t.Fatalf("refused publishes wrote objects: %v", store.Keys())
	}
}

// applyThenFail is a store whose writes selected by fail are applied, then answer an error:
// a response lost after the store applied the write. Like a network store, it refuses
// writes once ctx has ended.
type applyThenFail struct {
	*vsynctest.MemStore
	fail func(op, key string) bool
}

func (s applyThenFail) PutObject(ctx context.Context, key string, body []byte, c vsync.Condition) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.MemStore.PutObject(ctx, key, body, c); err != nil || !s.fail("put", key) {
		return err
	}
	return errors.New("connection reset after the write was applied")
}

func TestPublishOutcomes(t *testing.T) {
	ctx := context.Background()
	next := vsync.Release{KV: map[string]string{"DATABASE_URL": "new"}}
	t.Run("applied manifest write reported as failed", func(t *testing.T) {
		store, cfg := published(t, "p/")
		lossy := applyThenFail{store, func(op, key string) bool { return strings.HasSuffix(key, "/manifest") }}
		p, err := vsync.Publish(ctx, lossy, cfg, testPass, next, time.Now().Add(time.Hour), lowFloor)
		if err != nil || p.Generation != 2 || len(p.Recovered) != 1 {
			t.Fatalf("Publish = %+v, %v; want generation 2, recovered", p, err)
		}
		if !slices.Contains(store.Keys(), "p/v="+p.TS) {
			t.Fatal("the bundle the manifest names was deleted")
		}
	})
	t.Run("manifest unreadable after a failed write", func(t *testing.T) {
		store, cfg := published(t, "p/")
		reads := 0
		store.SetFault(func(_ context.Context, op, key string) error {
			if strings.HasSuffix(key, "/manifest") && (op == "put" || op == "get" && reads > 0) {
				return errors.New("network down")
			}
			if op == "get" && strings.HasSuffix(key, "/manifest") {
				reads++
			}
			return nil
		})
		_, err := vsync.Publish(ctx, store, cfg, testPass, next, time.Now().Add(time.Hour), lowFloor)
		var pe *vsync.PublishError
		if !errors.As(err, &pe) || !errors.Is(err, vsync.ErrPublishOutcomeUnknown) || pe.Leftover == "" {
			t.Fatalf("error = %v, want an unknown outcome naming the bundle", err)
		}
		store.SetFault(nil)
		if !slices.Contains(store.Keys(), pe.Leftover) {
			t.Fatal("with the outcome unknown, the bundle (which may be current) was deleted")
		}
		noLeak(t, "Publish error", err.Error())
	})
	t.Run("caller's ctx ends during the manifest write", func(t *testing.T) {
		store, cfg := published(t, "p/")
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		lossy := applyThenFail{store, func(op, key string) bool {
			if strings.HasSuffix(key, "/manifest") {
				cancel()
				return true
			}
			return false
		}}
		p, err := vsync.Publish(ctx, lossy, cfg, testPass, next, time.Now().Add(time.Hour), lowFloor)
		// The manifest names the new bundle: that is reported as published, even though the
		// ctx ended before latest.meta could be raised.
		var pe *vsync.PublishError
		if !errors.As(err, &pe) || pe.Outcome != vsync.PublishedMetaBehind || p.Generation != 2 {
			t.Fatalf("Publish = %+v, %v; want generation 2 current, latest.meta behind", p, err)
		}
	})
}

// TestPublishAfterADeadPublish: a publish that died after writing its bundle leaves that key
// taken; the next publish in the same second takes the next one and succeeds.
func TestPublishAfterADeadPublish(t *testing.T) {
	store := vsynctest.NewMemStore()
	cfg := testConfig("p/")
	now := time.Date(2026, 5, 23, 11, 42, 1, 0, time.UTC)
	if _, err := vsync.Publish(context.Background(), store, cfg, testPass, testRelease, now.Add(-time.Hour), lowFloor); err != nil {
		t.Fatal(err)
	}
	orphan := "p/v=" + vsync.Timestamp(now)
	store.Put(orphan, []byte("RQE1 a bundle nothing names"))
	p, err := vsync.Publish(context.Background(), store, cfg, testPass, testRelease, now, lowFloor)
	if err != nil {
		t.Fatalf("publish next to an orphaned bundle: %v", err)
	}
	if want := vsync.Timestamp(now.Add(time.Second)); p.TS != want || p.Generation != 2 {
		t.Fatalf("published %s gen %d, want %s gen 2", p.TS, p.Generation, want)
	}
	c, err := vsync.OpenWith(context.Background(), mustBlob(t, cfg), testPass, vsync.WithFetcher(store))
	if err != nil || c.Generation() != 2 {
		t.Fatalf("open after the publish: gen %v, %v", c, err)
	}
}
