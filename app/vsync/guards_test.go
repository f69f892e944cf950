package vsync_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// TestInputFileMustBeRegular: a FIFO with no writer, a directory or a device named by a
// _FILE variable is refused at once as ConfigMissing naming the variable; before, a FIFO
// blocked boot forever.
func TestInputFileMustBeRegular(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("FIFOs and device files are a Unix matter")
	}
	store, cfg := published(t, "")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	regular := writeFile(t, testPass, 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"named pipe": fifo, "directory": dir, "character device": "/dev/null"} {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := openWithEnv(t, store, env{"VSYNC_CONFIG": mustBlob(t, cfg), "VSYNC_PASSPHRASE_FILE": path}, nil)
				done <- err
			}()
			select {
			case err := <-done:
				wantSentinel(t, err, vsync.ErrConfigMissing)
				if !strings.Contains(err.Error(), "VSYNC_PASSPHRASE_FILE") || !strings.Contains(err.Error(), name) {
					t.Fatalf("error %q does not name the variable and what the path is", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("Open blocked on the input file")
			}
		})
	}
	t.Run("symlink to a regular file", func(t *testing.T) {
		if _, err := openWithEnv(t, store, env{"VSYNC_CONFIG": mustBlob(t, cfg), "VSYNC_PASSPHRASE_FILE": link}, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("over the size bound", func(t *testing.T) {
		big := writeFile(t, strings.Repeat("x", 1<<20+1), 0o600)
		_, err := openWithEnv(t, store, env{"VSYNC_CONFIG": mustBlob(t, cfg), "VSYNC_PASSPHRASE_FILE": big}, nil)
		wantSentinel(t, err, vsync.ErrConfigMissing)
	})
}

// slowBundle plants a vault whose config asks for the most iterations a reader accepts, with
// a bundle that would not decrypt anyway: an open that waited for the derivation would end in
// ErrWrongPassphrase.
func slowBundle(t *testing.T) (*vsynctest.MemStore, vsync.Config) {
	store := vsynctest.NewMemStore()
	cfg := testConfig("slow/")
	cfg.Iterations = vsync.MaxIterations
	store.Put("slow/manifest", []byte("RQEM000120260101-000000"))
	store.Put("slow/v=20260101-000000", append([]byte("RQE1"), bytes.Repeat([]byte{7}, 64)...))
	return store, cfg
}

// TestOpenReturnsWhenContextEnds: an open whose ctx ends during key derivation returns at
// once with the context's error instead of waiting for PBKDF2. The bound asserted is a tenth
// of the derivation it skipped, measured here, not a fixed time.
func TestOpenReturnsWhenContextEnds(t *testing.T) {
	store, cfg := slowBundle(t)
	for name, mk := range map[string]func() (context.Context, context.CancelFunc){
		"cancelled": func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		},
		"deadline": func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := mk()
			defer cancel()
			start := time.Now()
			_, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithFetcher(store), vsync.WithWarnings(func(string) {}))
			took := time.Since(start)
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, vsync.ErrWrongPassphrase) {
				t.Fatalf("error = %v, want the context's error", err)
			}
			noLeak(t, "Open error", err.Error())
			start = time.Now()
			vsync.DeriveKey(testPass, cfg.Salt, cfg.Iterations/10)
			if tenth := time.Since(start); took >= tenth {
				t.Fatalf("Open took %v after its ctx ended; a tenth of the derivation takes %v", took, tenth)
			}
		})
	}
	t.Run("ReadRelease and CheckContinuity too", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := vsync.ReadRelease(ctx, store, cfg, testPass); !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadRelease: %v", err)
		}
		if err := vsync.CheckContinuity(ctx, store, cfg, testPass); !errors.Is(err, context.Canceled) {
			t.Fatalf("CheckContinuity: %v", err)
		}
	})
}

func TestPublishRefusesWeakIterations(t *testing.T) {
	for _, n := range []int{1, testIter, vsync.MinIterations - 1} {
		store := vsynctest.NewMemStore()
		cfg := testConfig("p/")
		cfg.Iterations = n
		_, err := vsync.Publish(context.Background(), store, cfg, testPass, testRelease, time.Now())
		if !errors.Is(err, vsync.ErrWeakIterations) || !strings.Contains(err.Error(), "600000") || !strings.Contains(err.Error(), "OWASP") {
			t.Fatalf("iterations=%d: error = %v, want ErrWeakIterations naming 600000 and its source", n, err)
		}
		if keys := store.Keys(); len(keys) != 0 {
			t.Fatalf("a refused publish wrote %v", keys)
		}
	}
}

func TestOpenWarnsOnceOnWeakIterations(t *testing.T) {
	store, cfg := published(t, "")
	var warnings []string
	if _, err := openWithEnv(t, store, env{"VSYNC_CONFIG": mustBlob(t, cfg), "VSYNC_PASSPHRASE": testPass}, func(m string) { warnings = append(warnings, m) }); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "1000") || !strings.Contains(warnings[0], "600000") {
		t.Fatalf("warnings = %q, want one naming the count and the floor", warnings)
	}
	noLeak(t, "warning", warnings[0])
}

func TestReadBounds(t *testing.T) {
	ctx := context.Background()
	open := func(store vsync.Fetcher, cfg vsync.Config) error {
		_, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithFetcher(store), vsync.WithWarnings(func(string) {}))
		return err
	}
	t.Run("manifest", func(t *testing.T) {
		store, cfg := published(t, "p/")
		ts, _ := vsync.ParseManifest(store.Get("p/manifest"))
		store.Put("p/manifest", append([]byte("RQEM0001"+ts), bytes.Repeat([]byte(" "), 64<<10)...))
		wantSentinel(t, open(store, cfg), vsync.ErrBundleCorrupt)
	})
	t.Run("bundle", func(t *testing.T) {
		store, cfg := published(t, "p/")
		ts, _ := vsync.ParseManifest(store.Get("p/manifest"))
		limit := vsync.MaxSealedVault + 32
		store.Put("p/v="+ts, append(store.Get("p/v="+ts), make([]byte, limit)...))
		wantSentinel(t, open(store, cfg), vsync.ErrBundleCorrupt)
	})
	t.Run("freshness check", func(t *testing.T) {
		store, cfg := published(t, "p/")
		c, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithFetcher(store), vsync.WithWarnings(func(string) {}))
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := vsync.ParseManifest(store.Get("p/manifest"))
		store.Put("p/manifest", append([]byte("RQEM0001"+ts), bytes.Repeat([]byte(" "), 64<<10)...))
		_, err = c.RemoteGeneration(ctx)
		wantSentinel(t, err, vsync.ErrBundleCorrupt)
	})
	t.Run("S3 refuses before reading", func(t *testing.T) {
		srv := vsynctest.StartGoFakeS3(t)
		store := srv.Store()
		if err := store.PutObject(ctx, "big", make([]byte, 70<<10), vsync.Condition{}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.FetchLimited(ctx, "big", 64<<10); !errors.Is(err, vsync.ErrBundleCorrupt) {
			t.Fatalf("FetchLimited over the bound: %v", err)
		}
		if b, err := store.FetchLimited(ctx, "big", 70<<10); err != nil || len(b) != 70<<10 {
			t.Fatalf("FetchLimited at the bound: %d bytes, %v", len(b), err)
		}
	})
	t.Run("writer cap matches the reader bound", func(t *testing.T) {
		store := vsynctest.NewMemStore()
		cfg := testConfig("p/")
		// Assets travel base64-encoded: content at the cap seals within the reader's bound.
		atCap := vsync.Release{Assets: map[string][]byte{"a": make([]byte, vsync.MaxVaultBytes)}}
		if _, err := vsync.Publish(ctx, store, cfg, testPass, atCap, time.Now(), lowFloor); err != nil {
			t.Fatalf("a vault at the content cap: %v", err)
		}
		if err := open(store, cfg); err != nil {
			t.Fatalf("the reader refused what the writer wrote: %v", err)
		}
		over := vsync.Release{Assets: map[string][]byte{"a": make([]byte, vsync.MaxVaultBytes+128<<10)}}
		before := store.Keys()
		if _, err := vsync.Publish(ctx, store, cfg, testPass, over, time.Now(), lowFloor); err == nil {
			t.Fatal("Publish sealed a vault over the cap")
		}
		if !slices.Equal(store.Keys(), before) {
			t.Fatal("a refused publish wrote")
		}
	})
}
