package vsync_test

import (
	"context"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// referenceIterations is what every upstream writer uses; the benchmarks measure boot at it.
const referenceIterations = 600_000

func benchStore(b *testing.B) (*vsynctest.MemStore, string) {
	store := vsynctest.NewMemStore()
	cfg := testConfig("p/")
	cfg.Iterations = referenceIterations
	if _, err := vsync.Publish(context.Background(), store, cfg, testPass, testRelease, time.Now(), lowFloor); err != nil {
		b.Fatal(err)
	}
	return store, mustBlob(b, cfg)
}

// BenchmarkOpen is a whole boot against an in-memory store; compare with BenchmarkDeriveKey
// for the share that is PBKDF2.
func BenchmarkOpen(b *testing.B) {
	store, blob := benchStore(b)
	for b.Loop() {
		if _, err := vsync.OpenWith(context.Background(), blob, testPass, vsync.WithFetcher(store)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeriveKey(b *testing.B) {
	for b.Loop() {
		vsync.DeriveKey(testPass, testSalt, referenceIterations)
	}
}

func BenchmarkGetEnv(b *testing.B) {
	c, _ := openPublished(b, env{})
	b.ReportAllocs()
	for b.Loop() {
		c.GetEnv("DATABASE_URL")
	}
}

func BenchmarkHasNewVersion(b *testing.B) {
	store, blob := benchStore(b)
	c, err := vsync.OpenWith(context.Background(), blob, testPass, vsync.WithFetcher(store))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.HasNewVersion(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHasNewVersionS3 is the same against gofakes3 over loopback HTTP with SigV4.
func BenchmarkHasNewVersionS3(b *testing.B) {
	srv := vsynctest.StartGoFakeS3(b)
	cfg := srv.Config("p/", "bench", testSalt, testIter)
	if _, err := vsync.Publish(context.Background(), srv.Store(), cfg, testPass, testRelease, time.Now(), lowFloor); err != nil {
		b.Fatal(err)
	}
	c, err := vsync.OpenWith(context.Background(), mustBlob(b, cfg), testPass)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.HasNewVersion(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGetEnvDoesNotAllocate pins the hot path's allocation count (a count, not a timing).
func TestGetEnvDoesNotAllocate(t *testing.T) {
	c, _ := openPublished(t, env{})
	if n := testing.AllocsPerRun(100, func() { c.GetEnv("DATABASE_URL") }); n != 0 {
		t.Fatalf("GetEnv allocates %v times per call", n)
	}
}
