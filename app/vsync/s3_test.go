package vsync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// servers are the real S3 servers the suite runs against: gofakes3 always, versitygw when the
// environment provides it (CI always does).
func servers(t *testing.T) []func(*testing.T) *vsynctest.S3Server {
	starts := []func(*testing.T) *vsynctest.S3Server{
		func(t *testing.T) *vsynctest.S3Server { return vsynctest.StartGoFakeS3(t) },
	}
	if bin := vsynctest.VersityGWPath(t); bin != "" {
		starts = append(starts, func(t *testing.T) *vsynctest.S3Server { return vsynctest.StartVersityGW(t, bin) })
	} else {
		t.Logf("%s not set: versitygw runs skipped (make test sets it)", vsynctest.VersityGWEnv)
	}
	return starts
}

// bootDeadline bounds every open in this suite; the assertions check it was respected.
const bootDeadline = 3 * time.Second

func TestAgainstS3Servers(t *testing.T) {
	for _, start := range servers(t) {
		srv := start(t)
		t.Run(srv.Name, func(t *testing.T) { s3Suite(t, srv) })
	}
}

func s3Suite(t *testing.T, srv *vsynctest.S3Server) {
	ctx := context.Background()
	store := srv.Store()
	cfg := srv.Config("team/app/prod/", "prod", testSalt, testIter)
	if _, err := vsync.Publish(ctx, store, cfg, testPass, testRelease, time.Now(), lowFloor); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	open := func(t *testing.T, cfg vsync.Config) (*vsync.Client, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, bootDeadline)
		defer cancel()
		start := time.Now()
		c, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass)
		if took := time.Since(start); took > bootDeadline+time.Second {
			t.Fatalf("Open took %v, past its %v deadline", took, bootDeadline)
		}
		if err != nil {
			noLeak(t, "Open error", err.Error())
		}
		return c, err
	}

	t.Run("open", func(t *testing.T) {
		c, err := open(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := c.GetEnv("DATABASE_URL"); v != secretVal || c.Generation() != 1 {
			t.Fatalf("DATABASE_URL=%q gen=%d", v, c.Generation())
		}
		b, err := c.GetAsContent("tls/key.pem")
		if err != nil || string(b) != string(testRelease.Assets["tls/key.pem"]) {
			t.Fatalf("asset = %q, %v", b, err)
		}
	})
	t.Run("wrong secret key", func(t *testing.T) {
		bad := cfg
		bad.SecretAccessKey = "not-the-secret"
		_, err := open(t, bad)
		wantSentinel(t, err, vsync.ErrS3Unreachable)
	})
	t.Run("unknown access key", func(t *testing.T) {
		bad := cfg
		bad.AccessKeyID = "nobody"
		_, err := open(t, bad)
		wantSentinel(t, err, vsync.ErrS3Unreachable)
	})
	t.Run("missing manifest", func(t *testing.T) {
		_, err := open(t, srv.Config("never/pushed/", "x", testSalt, testIter))
		wantSentinel(t, err, vsync.ErrManifestNotFound)
	})
	t.Run("missing bundle", func(t *testing.T) {
		other := srv.Config("orphan/", "x", testSalt, testIter)
		if err := store.PutObject(ctx, "orphan/manifest", []byte("RQEM000120990101-000000"), vsync.Condition{}); err != nil {
			t.Fatal(err)
		}
		_, err := open(t, other)
		wantSentinel(t, err, vsync.ErrBundleCorrupt)
	})
	t.Run("upstream manifest without latest.meta means generation 0", func(t *testing.T) {
		other := srv.Config("nometa/", "x", testSalt, testIter)
		p, err := vsync.Publish(ctx, store, other, testPass, testRelease, time.Now(), lowFloor)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := open(t, other); err != nil || c.Generation() != 1 {
			t.Fatalf("this writer's manifest carries the generation: gen=%v err=%v", c, err)
		}
		if err := store.DeleteObject(ctx, "nometa/latest.meta"); err != nil {
			t.Fatal(err)
		}
		// What an upstream writer leaves: the bare header, no generation anywhere.
		if err := store.PutObject(ctx, "nometa/manifest", []byte("RQEM0001"+p.TS), vsync.Condition{}); err != nil {
			t.Fatal(err)
		}
		c, err := open(t, other)
		if err != nil || c.Generation() != 0 {
			t.Fatalf("gen=%v err=%v", c, err)
		}
	})
	t.Run("newer generation", func(t *testing.T) {
		c, err := open(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vsync.Publish(ctx, store, cfg, testPass, testRelease, time.Now(), lowFloor); err != nil {
			t.Fatal(err)
		}
		remote, err := c.RemoteGeneration(ctx)
		if err != nil || remote != int64(c.Generation())+1 {
			t.Fatalf("RemoteGeneration = %d, %v (local %d)", remote, err, c.Generation())
		}
		if newer, err := c.HasNewVersion(ctx); err != nil || !newer {
			t.Fatalf("HasNewVersion = %v, %v", newer, err)
		}
	})
	t.Run("create-only put", func(t *testing.T) {
		err := store.PutObject(ctx, "team/app/prod/manifest", []byte("x"), vsync.Condition{IfNoneMatch: true})
		if !errors.Is(err, vsync.ErrPreconditionFailed) {
			t.Fatalf("If-None-Match on an existing key: %v; want ErrPreconditionFailed", err)
		}
		err = store.PutObject(ctx, "team/app/prod/manifest", []byte("x"), vsync.Condition{IfMatch: `"0123"`})
		if !errors.Is(err, vsync.ErrPreconditionFailed) {
			t.Fatalf("If-Match with a stale ETag: %v; want ErrPreconditionFailed", err)
		}
	})
	t.Run("faults", func(t *testing.T) {
		if err := srv.CanFail(); err != nil {
			t.Logf("fault injection runs on the in-process server only: %v", err)
			return
		}
		for _, mode := range []string{"500", "hang"} {
			srv.Fail(mode)
			_, err := open(t, cfg)
			wantSentinel(t, err, vsync.ErrS3Unreachable)
		}
		srv.Fail("")
	})
	t.Run("connection refused", func(t *testing.T) {
		refused := cfg
		refused.Endpoint = vsynctest.RefusedEndpoint(t)
		_, err := open(t, refused)
		wantSentinel(t, err, vsync.ErrS3Unreachable)
	})
}
