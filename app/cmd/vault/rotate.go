package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

// rotatePassphrase re-seals the current bundle under VAULT_NEW_PASSPHRASE (and optionally a new
// iteration count) as a new generation, then removes every older bundle (all their versions),
// the only objects that still open with the old key. Running services keep serving (they hold
// the old plaintext) and report stale; new tasks need the new passphrase in their secret.
// Re-running it after an interrupted run finishes the job: a live vault that already opens with
// the new key is not re-sealed again (unless its latest.meta lags), only its older bundles are
// removed.
func rotatePassphrase(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	fs := newFlags("rotate-passphrase", stderr)
	var t target
	t.register(fs, e)
	newIterations := fs.Int("new-iterations", 0, "re-key with this PBKDF2 iteration count too (default: keep --iterations); the token must then be minted again")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}
	next := t
	if *newIterations != 0 {
		next.iterations = *newIterations
	}
	if err := next.checkWritable(next.iterations, "the new iteration count"); err != nil {
		return err
	}
	oldPass, err := e.secret("VAULT_PASSPHRASE")
	if err != nil {
		return err
	}
	newPass, err := e.secret("VAULT_NEW_PASSPHRASE")
	if err != nil {
		return err
	}
	if newPass == oldPass {
		return fmt.Errorf("%w: VAULT_NEW_PASSPHRASE is the current passphrase", errUsage)
	}
	b, err := t.writer(ctx)
	if err != nil {
		return err
	}
	rel, current, err := vsync.ReadRelease(ctx, b.store, t.config("", ""), oldPass)
	if errors.Is(err, vsync.ErrWrongPassphrase) {
		if again, done, errNew := vsync.ReadRelease(ctx, b.store, next.config("", ""), newPass); errNew == nil {
			fmt.Fprintf(stdout, "generation %d (bundle v=%s) already opens with the new passphrase: an earlier rotation published it\n", done.Generation, done.TS)
			if !metaBehind(ctx, b, t.prefix, done.Generation) {
				return finishRotation(ctx, b, next, done, stdout)
			}
			rel, current, err = again, done, nil // re-seal once more, so that latest.meta is raised
		}
	}
	if err != nil {
		return openFailed(err, t, "VAULT_PASSPHRASE")
	}
	p, err := vsync.Publish(ctx, b.store, next.config("", ""), newPass, rel, time.Now())
	if err != nil {
		return publishFailed(err, t)
	}
	reportRecovered(p, stderr)
	fmt.Fprintf(stdout, "re-sealed generation %d (bundle v=%s) as generation %d (bundle v=%s) under the new passphrase\n",
		current.Generation, current.TS, p.Generation, p.TS)
	return finishRotation(ctx, b, next, p, stdout)
}

// finishRotation retires the older bundles and says what the operator does next.
func finishRotation(ctx context.Context, b bucket, t target, live vsync.Published, stdout io.Writer) error {
	if err := retire(ctx, b, t, live, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "next: put the new passphrase in the stage's passphrase secret (and, with --new-iterations, a new token from vault token in the config secret), then force a new deployment")
	return nil
}

// metaBehind reports whether latest.meta holds a generation below gen (or none), as after a
// rotation whose latest.meta write was lost: readers of other writers would not see it as new.
func metaBehind(ctx context.Context, b bucket, prefix string, gen int) bool {
	body, _, err := b.store.GetObject(ctx, prefix+"latest.meta")
	if err != nil {
		return true
	}
	var m struct {
		Gen int `json:"gen"`
	}
	return json.Unmarshal(body, &m) != nil || m.Gen < gen
}

// retire removes the bundles older than live and reports it; a failure leaves live current
// and says how to finish.
func retire(ctx context.Context, b bucket, t target, live vsync.Published, stdout io.Writer) error {
	n, err := b.retireBundles(ctx, t.prefix, live.TS)
	if err != nil {
		return fmt.Errorf("generation %d (bundle v=%s) is live, but older bundles sealed under the earlier passphrase remain "+
			"(%d removed before the failure): re-run the same vault rotate-passphrase, or vault prune with the new passphrase, to finish: %w",
			live.Generation, live.TS, n, describe(err, "remove older bundles under "+t.where()))
	}
	fmt.Fprintf(stdout, "removed %d older bundle objects (versions included) under %s: only generation %d's bundle remains\n", n, t.where(), live.Generation)
	return nil
}
