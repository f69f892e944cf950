package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

// rotatePassphrase re-seals the current bundle under VAULT_NEW_PASSPHRASE as a new generation,
// then removes every older bundle (all their versions), the only objects that still open with
// the old passphrase. Running services keep serving (they hold the old plaintext) and report
// stale; new tasks need the new passphrase in their secret. Re-running it after an interrupted
// run finishes the job: a live vault that already opens with the new passphrase is not
// re-sealed again, only its older bundles are removed.
func rotatePassphrase(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	fs := newFlags("rotate-passphrase", stderr)
	var t target
	t.register(fs, e)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := t.check(); err != nil {
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
	cfg := t.config("", "")
	rel, current, err := vsync.ReadRelease(ctx, b.store, cfg, oldPass)
	if errors.Is(err, vsync.ErrWrongPassphrase) {
		if _, done, errNew := vsync.ReadRelease(ctx, b.store, cfg, newPass); errNew == nil {
			fmt.Fprintf(stdout, "generation %d (bundle v=%s) already opens with the new passphrase: an earlier rotation published it\n", done.Generation, done.TS)
			return retire(ctx, b, t, done, stdout, stderr)
		}
	}
	if err != nil {
		return openFailed(err, t, "VAULT_PASSPHRASE")
	}
	p, err := vsync.Publish(ctx, b.store, cfg, newPass, rel, time.Now())
	if err != nil {
		return publishFailed(err, t)
	}
	fmt.Fprintf(stdout, "re-sealed generation %d (bundle v=%s) as generation %d (bundle v=%s) under the new passphrase\n",
		current.Generation, current.TS, p.Generation, p.TS)
	if err := retire(ctx, b, t, p, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "next: put the new passphrase in the stage's passphrase secret, then force a new deployment")
	return nil
}

// retire removes the bundles older than live and reports it; a failure leaves live current
// and says how to finish.
func retire(ctx context.Context, b bucket, t target, live vsync.Published, stdout, stderr io.Writer) error {
	n, err := b.retireBundles(ctx, t.prefix, live.TS)
	if err != nil {
		return fmt.Errorf("generation %d (bundle v=%s) is live, but older bundles sealed under the earlier passphrase remain "+
			"(%d removed before the failure): re-run the same vault rotate-passphrase, or vault prune with the new passphrase, to finish: %w",
			live.Generation, live.TS, n, describe(err, "remove older bundles under "+t.where()))
	}
	fmt.Fprintf(stdout, "removed %d older bundle objects (versions included) under %s: only generation %d's bundle remains\n", n, t.where(), live.Generation)
	if w := b.retentionWarning(ctx, t.prefix); w != "" {
		fmt.Fprintln(stderr, "vault: warning:", w)
	}
	return nil
}

// openFailed classifies a failure to open the live vault with the passphrase in passVar.
func openFailed(err error, t target, passVar string) error {
	switch {
	case errors.Is(err, vsync.ErrS3Unreachable):
		return describe(err, "read the live vault at "+t.where())
	case errors.Is(err, vsync.ErrWrongPassphrase):
		return fmt.Errorf("%w at %s with %s: the passphrase, salt or iteration count differs from the ones it was sealed with; nothing was written",
			errKeyMismatch, t.where(), passVar)
	case errors.Is(err, vsync.ErrManifestNotFound):
		return fmt.Errorf("%w: nothing is published at %s yet: run vault push first", errUsage, t.where())
	}
	return fmt.Errorf("read the live vault at %s with %s: %s: %w", t.where(), passVar, vsync.CanonicalName(err), err)
}
