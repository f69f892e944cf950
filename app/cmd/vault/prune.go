package main

import (
	"context"
	"io"

	"github.com/keelstack/keel/app/vsync"
)

// prune removes every bundle older than the live one (all their versions), after checking that
// the live one opens with VAULT_PASSPHRASE: what rotate-passphrase does after re-sealing, for
// finishing a rotation that could not, or for retiring history on purpose.
func prune(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	fs := newFlags("prune", stderr)
	var t target
	t.register(fs, e)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}
	pass, err := e.secret("VAULT_PASSPHRASE")
	if err != nil {
		return err
	}
	b, err := t.writer(ctx)
	if err != nil {
		return err
	}
	_, live, err := vsync.ReadRelease(ctx, b.store, t.config("", ""), pass)
	if err != nil {
		return openFailed(err, t, "VAULT_PASSPHRASE")
	}
	return retire(ctx, b, t, live, stdout)
}
