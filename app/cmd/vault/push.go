package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

// push seals an env file and assets and publishes them as the next generation, after checking
// that the live vault opens with the same key.
func push(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	r, err := parseReleaseArgs(ctx, "push", args, e, stderr)
	if err != nil {
		return err
	}
	if err := checkContinuity(ctx, r.bucket, r.target, r.passphrase, r.rekey, stderr); err != nil {
		return err
	}
	p, err := vsync.Publish(ctx, r.bucket.store, r.target.config("", ""), r.passphrase, r.release, time.Now())
	if err != nil {
		return publishFailed(err, r.target)
	}
	fmt.Fprintf(stdout, "published generation %d (bundle v=%s, %d keys, %d assets) to %s\n", p.Generation, p.TS, len(r.release.KV), len(r.release.Assets), r.target.where())
	return nil
}

// publishFailed says what a failed publish left behind.
func publishFailed(err error, t target) error {
	return describe(err, "publish to "+t.where())
}
