package vsync_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// backing is a store a test can both publish to and read from.
type backing interface {
	vsync.ObjectStore
	vsync.Fetcher
}

// hookedFetcher runs hook after its at-th read (1-based), once: a publish landing between
// two reads of the code under test.
type hookedFetcher struct {
	f     vsync.Fetcher
	mu    sync.Mutex
	reads int
	at    int // -1: after every read
	fired int
	hook  func()
}

func (h *hookedFetcher) Fetch(ctx context.Context, key string) ([]byte, error) {
	b, err := h.f.Fetch(ctx, key)
	h.mu.Lock()
	h.reads++
	fire := h.reads == h.at || h.at < 0
	if fire {
		h.fired++
	}
	h.mu.Unlock()
	if fire {
		h.hook()
	}
	return b, err
}

// stop disables the hook and returns how often it fired.
func (h *hookedFetcher) stop() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.at = 0
	return h.fired
}

// publisher makes the next generation in one layout: this writer's (Publish), or an upstream
// writer's (bundle, a bare manifest, then latest.meta).
type publisher struct {
	name    string
	publish func(t *testing.T, store backing, cfg vsync.Config, gen int)
}

var publishers = []publisher{
	{"this writer", func(t *testing.T, store backing, cfg vsync.Config, gen int) {
		t.Helper()
		if _, err := vsync.Publish(context.Background(), store, cfg, testPass, genRelease(gen), time.Now().Add(time.Duration(gen)*time.Hour), lowFloor); err != nil {
			t.Fatal(err)
		}
	}},
	{"upstream writer", func(t *testing.T, store backing, cfg vsync.Config, gen int) {
		t.Helper()
		ctx := context.Background()
		ts := vsync.Timestamp(time.Now().Add(time.Duration(gen) * time.Hour))
		plaintext, _ := vsync.EncodeVault(genRelease(gen).KV, nil)
		bundle, err := vsync.SealEnvelope(vsync.DeriveKey(testPass, cfg.Salt, cfg.Iterations), plaintext)
		if err != nil {
			t.Fatal(err)
		}
		meta, _ := json.Marshal(map[string]any{"gen": gen, "prev_gen": gen - 1, "rotated_at": time.Now().UTC().Format(time.RFC3339)})
		for _, o := range []struct {
			key  string
			body []byte
		}{{"v=" + ts, bundle}, {"manifest", []byte("RQEM0001" + ts)}, {"latest.meta", meta}} {
			if err := store.PutObject(ctx, cfg.Prefix+o.key, o.body, vsync.Condition{}); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

// TestOpenPairsBundleAndGeneration lands a publish between each pair of reads of an Open
// (and after every read, twice over), in both layouts, against the in-memory store and a
// real S3 server, and checks that the opened bundle is the one of the reported generation,
// and that the freshness check agrees with what was opened.
func TestOpenPairsBundleAndGeneration(t *testing.T) {
	stores := map[string]func(t *testing.T) backing{
		"memstore": func(*testing.T) backing { return vsynctest.NewMemStore() },
	}
	if bin := vsynctest.VersityGWPath(t); bin != "" {
		srv := vsynctest.StartVersityGW(t, bin)
		stores["versitygw"] = func(*testing.T) backing { return srv.Store() }
	}
	n := 0
	for storeName, newStore := range stores {
		for _, pub := range publishers {
			t.Run(storeName+"/"+pub.name, func(t *testing.T) {
				ctx := context.Background()
				newCfg := func() vsync.Config { n++; return testConfig("interleave/" + strconv.Itoa(n) + "/") }
				// Count the reads of an undisturbed open.
				store, cfg := newStore(t), newCfg()
				pub.publish(t, store, cfg, 1)
				counter := &hookedFetcher{f: store, hook: func() {}}
				openChecked(t, ctx, counter, cfg, 1)
				reads := counter.reads
				if reads < 2 {
					t.Fatalf("an open made %d reads", reads)
				}
				for at := -1; at <= reads; at++ {
					store, cfg := newStore(t), newCfg()
					pub.publish(t, store, cfg, 1)
					gen := 1
					h := &hookedFetcher{f: store, at: at, hook: func() { gen++; pub.publish(t, store, cfg, gen) }}
					if at == 0 {
						h.at = 1 << 30 // never: the undisturbed case again
					}
					t.Logf("publish after read %d of the open", at)
					openChecked(t, ctx, h, cfg, -1)
				}
			})
		}
	}
}

// openChecked opens through h and checks the pairing; want < 0 accepts any generation. The
// hook is stopped once the open returns, so the freshness checks see a still store.
func openChecked(t *testing.T, ctx context.Context, h *hookedFetcher, cfg vsync.Config, want int) {
	t.Helper()
	c, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithFetcher(h), vsync.WithWarnings(func(string) {}))
	h.stop()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer c.Close()
	bundleGen, _ := c.GetEnv("GEN")
	// Generation 0 is the reader's answer when publishes kept landing between its reads: it
	// pairs the bundle with no generation, so the freshness check reports stale.
	if c.Generation() != 0 && bundleGen != strconv.Itoa(c.Generation()) {
		t.Fatalf("opened the bundle of generation %s with generation %d", bundleGen, c.Generation())
	}
	if want >= 0 && c.Generation() != want {
		t.Fatalf("generation %d, want %d", c.Generation(), want)
	}
	remote, err := c.RemoteGeneration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newest := strconv.FormatInt(remote, 10)
	newer, err := c.HasNewVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if newer != (bundleGen != newest) {
		t.Fatalf("opened bundle of generation %s, reported %d, store at %d: HasNewVersion = %v", bundleGen, c.Generation(), remote, newer)
	}
}

// TestFreshnessCheckInterleaved lands a publish between the reads of a freshness check: the
// check answers for the old or the new state, and the next check sees the new one.
func TestFreshnessCheckInterleaved(t *testing.T) {
	for _, pub := range publishers {
		t.Run(pub.name, func(t *testing.T) {
			ctx := context.Background()
			for at := 1; at <= 2; at++ {
				store, cfg := vsynctest.NewMemStore(), testConfig("fresh/")
				pub.publish(t, store, cfg, 1)
				h := &hookedFetcher{f: store, at: 1 << 30, hook: func() { pub.publish(t, store, cfg, 2) }}
				c, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithFetcher(h), vsync.WithWarnings(func(string) {}))
				if err != nil {
					t.Fatal(err)
				}
				h.mu.Lock()
				h.at = h.reads + at
				h.mu.Unlock()
				first, err := c.RemoteGeneration(ctx)
				if err != nil || first != 1 && first != 2 {
					t.Fatalf("publish after read %d of the check: RemoteGeneration = %d, %v", at, first, err)
				}
				if h.stop() == 0 { // the check made fewer reads than at: publish after it
					pub.publish(t, store, cfg, 2)
				}
				if newer, err := c.HasNewVersion(ctx); err != nil || !newer {
					t.Fatalf("after the publish landed: HasNewVersion = %v, %v", newer, err)
				}
			}
		})
	}
}
