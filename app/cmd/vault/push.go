package main

import (
	"context"
	"errors"
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
	if err := r.target.checkWritable(r.target.iterations, "--iterations"); err != nil {
		return err
	}
	if err := checkContinuity(ctx, r.bucket, r.target, r.passphrase, r.rekey, stderr); err != nil {
		return err
	}
	p, err := vsync.Publish(ctx, r.bucket.store, r.target.config("", ""), r.passphrase, r.release, time.Now())
	if err != nil {
		return publishFailed(err, r.target)
	}
	reportRecovered(p, stderr)
	fmt.Fprintf(stdout, "published generation %d (bundle v=%s, %d keys, %d assets) to %s\n", p.Generation, p.TS, len(r.release.KV), len(r.release.Assets), r.target.where())
	return nil
}

// publishFailed says what a failed publish left in the bucket, from the library's re-read of
// it rather than from the error of the write that failed, and what to do next.
func publishFailed(err error, t target) error {
	var pe *vsync.PublishError
	if !errors.As(err, &pe) {
		if errors.Is(err, vsync.ErrWeakIterations) {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		return describe(err, "publish to "+t.where())
	}
	switch pe.Outcome {
	case vsync.NotPublished:
		// The bucket is as before: the failure's class (access, network) is the exit status.
		return describe(err, "publish to "+t.where()+" (run the same command again)")
	case vsync.PublishedMetaBehind:
		return fmt.Errorf("%v.\nEvery task that starts from now on gets generation %d, and running keel services see it in the manifest and report stale; "+
			"readers that take the generation from latest.meta alone (upstream vsync clients) do not, until it is raised: "+
			"run the same command again (it publishes the next generation and raises latest.meta)", err, pe.Attempt.Generation)
	}
	return fmt.Errorf("%v.\nRun vault verify with the deployed token to see which generation tasks get, then the same command again", err)
}

// reportRecovered says which writes failed on the way but were found applied on re-reading.
func reportRecovered(p vsync.Published, stderr io.Writer) {
	for _, r := range p.Recovered {
		fmt.Fprintln(stderr, "vault: note:", r)
	}
}
