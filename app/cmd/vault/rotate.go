package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

// rotatePassphrase re-seals the current bundle under VAULT_NEW_PASSPHRASE as a new
// generation. Running services keep serving (they hold the old plaintext) and report stale;
// new tasks need the new passphrase in their secret.
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
	store, err := t.writer(ctx)
	if err != nil {
		return err
	}
	cfg := t.config("", "")
	rel, current, err := vsync.ReadRelease(ctx, store, cfg, oldPass)
	if err != nil {
		return fmt.Errorf("read the current bundle with VAULT_PASSPHRASE: %s: %w", vsync.CanonicalName(err), err)
	}
	p, err := vsync.Publish(ctx, store, cfg, newPass, rel, time.Now())
	if err != nil {
		return describe(err, "publish to "+t.where())
	}
	fmt.Fprintf(stdout, "re-sealed generation %d (bundle v=%s) as generation %d (bundle v=%s) under the new passphrase\n",
		current.Generation, current.TS, p.Generation, p.TS)
	fmt.Fprintln(stdout, "next: put the new passphrase in the stage's passphrase secret, then force a new deployment")
	return nil
}
