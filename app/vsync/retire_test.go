package vsync_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// TestRetireBundles publishes three generations, then retires the older bundles through the
// fault proxy: a lost delete response still counts as removed, a delete that keeps failing
// is reported as remaining, and the current bundle and any newer one are never touched.
func TestRetireBundles(t *testing.T) {
	srv := vsynctest.StartS3Server(t)
	ctx := context.Background()
	direct := srv.Store()
	cases := []struct {
		name          string
		rule          *vsynctest.Rule
		wantRemaining int
	}{
		{"clean", nil, 0},
		{"delete response lost", &vsynctest.Rule{Method: "DELETE", Fault: vsynctest.LoseResponse}, 0},
		{"delete fails every attempt", &vsynctest.Rule{Method: "DELETE", Nth: 0, Key: `v=20200101-000000$`, Fault: vsynctest.Status500}, 1},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := srv.Config("retire/"+string(rune('a'+i))+"/", "r", testSalt, testIter)
			for gen, at := range []time.Time{time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)} {
				if _, err := vsync.Publish(ctx, direct, cfg, testPass, genRelease(gen+1), at, lowFloor); err != nil {
					t.Fatal(err)
				}
			}
			newer := cfg.Prefix + "v=29990101-000000"
			if err := direct.PutObject(ctx, newer, []byte("a bundle being published"), vsync.Condition{}); err != nil {
				t.Fatal(err)
			}
			proxy, via := vsynctest.StartFaultProxy(t, srv)
			if tc.rule != nil {
				if err := proxy.Add(*tc.rule); err != nil {
					t.Fatal(err)
				}
			}
			r, err := vsync.RetireBundles(ctx, via.StoreWithTimeout(faultAttemptTimeout), cfg.Prefix)
			if len(r.Remaining) != tc.wantRemaining || len(r.Removed)+len(r.Remaining) != 2 {
				t.Fatalf("Retired = %+v, %v", r, err)
			}
			if (err != nil) != (tc.wantRemaining > 0) || err != nil && !strings.Contains(err.Error(), r.Remaining[0]) {
				t.Fatalf("error = %v with %d remaining", err, len(r.Remaining))
			}
			keys, err := direct.ListKeys(ctx, cfg.Prefix+"v=")
			if err != nil {
				t.Fatal(err)
			}
			want := append(slices.Clone(r.Remaining), cfg.Prefix+"v=20220101-000000", newer)
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Fatalf("bundles left %v, want %v", keys, want)
			}
			c, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithWarnings(func(string) {}))
			if err != nil {
				t.Fatalf("the current generation no longer opens: %v", err)
			}
			if v, _ := c.GetEnv("GEN"); v != "3" || c.Generation() != 3 {
				t.Fatalf("opened bundle %s as generation %d, want 3", v, c.Generation())
			}
		})
	}
	t.Run("no manifest", func(t *testing.T) {
		_, err := vsync.RetireBundles(ctx, vsynctest.NewMemStore(), "none/")
		if !errors.Is(err, vsync.ErrObjectNotFound) {
			t.Fatalf("error = %v", err)
		}
	})
}
