package vsync_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

func TestCheckContinuity(t *testing.T) {
	ctx := context.Background()
	store, cfg := published(t, "p/")
	otherSalt := cfg
	otherSalt.Salt = "AnotherSaltAnotherSalt=="
	otherIter := cfg
	otherIter.Iterations = testIter + 1
	both := otherSalt
	both.Iterations = testIter + 1
	cases := []struct {
		name   string
		cfg    vsync.Config
		pass   string
		differ []string
	}{
		{"same key", cfg, testPass, nil},
		{"passphrase", cfg, "another passphrase", []string{"passphrase"}},
		{"salt", otherSalt, testPass, []string{"salt"}},
		{"iterations", otherIter, testPass, []string{"iterations"}},
		{"salt and iterations", both, "another passphrase", []string{"iterations", "salt"}},
	}
	before := store.Keys()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := vsync.CheckContinuity(ctx, store, tc.cfg, tc.pass)
			if tc.differ == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var km *vsync.KeyMismatchError
			if !errors.As(err, &km) || !errors.Is(err, vsync.ErrKeyMismatch) || !slices.Equal(km.Differs, tc.differ) {
				t.Fatalf("error = %v, want a key mismatch naming %v", err, tc.differ)
			}
			for _, d := range tc.differ {
				if !strings.Contains(err.Error(), d) {
					t.Fatalf("error %q does not name %s", err, d)
				}
			}
			noLeak(t, "continuity error", err.Error())
			if strings.Contains(err.Error(), tc.cfg.Salt) || strings.Contains(err.Error(), "another passphrase") {
				t.Fatalf("error %q quotes the salt or passphrase", err)
			}
		})
	}
	if !slices.Equal(store.Keys(), before) {
		t.Fatal("CheckContinuity wrote")
	}

	t.Run("upstream vault: only whether it decrypts", func(t *testing.T) {
		ts, _ := vsync.ParseManifest(store.Get("p/manifest"))
		up := vsynctest.NewMemStore()
		up.Put("p/v="+ts, store.Get("p/v="+ts))
		up.Put("p/manifest", []byte("RQEM0001"+ts+`{"gen":42}`))
		if err := vsync.CheckContinuity(ctx, up, cfg, testPass); err != nil {
			t.Fatalf("the right key: %v", err)
		}
		err := vsync.CheckContinuity(ctx, up, otherIter, testPass)
		var km *vsync.KeyMismatchError
		if !errors.As(err, &km) || len(km.Differs) != 0 || !errors.Is(err, vsync.ErrWrongPassphrase) || !strings.Contains(err.Error(), "cannot be told") {
			t.Fatalf("error = %v, want an unattributed mismatch", err)
		}
	})
	t.Run("nothing published yet", func(t *testing.T) {
		if err := vsync.CheckContinuity(ctx, vsynctest.NewMemStore(), cfg, testPass); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unreadable store", func(t *testing.T) {
		s := vsynctest.NewMemStore()
		s.Put("p/manifest", []byte("junk"))
		if err := vsync.CheckContinuity(ctx, s, cfg, testPass); !errors.Is(err, vsync.ErrBundleCorrupt) {
			t.Fatalf("error = %v", err)
		}
	})
}
