package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

// push seals an env file and assets and publishes them as the next generation.
func push(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	fs := newFlags("push", stderr)
	var t target
	t.register(fs, e)
	envFile := fs.String("env-file", "", "the env file to publish (KEY=value lines)")
	var assets assetFlags
	fs.Var(&assets, "asset", "name=path of a file to publish as an asset (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}
	passphrase, err := e.secret("VAULT_PASSPHRASE")
	if err != nil {
		return err
	}
	rel, err := loadRelease(*envFile, assets)
	if err != nil {
		return err
	}
	store, err := t.writer(ctx)
	if err != nil {
		return err
	}
	p, err := vsync.Publish(ctx, store, t.config("", ""), passphrase, rel, time.Now())
	if err != nil {
		return describe(err, "publish to "+t.where())
	}
	fmt.Fprintf(stdout, "published generation %d (bundle v=%s, %d keys, %d assets) to %s\n", p.Generation, p.TS, len(rel.KV), len(rel.Assets), t.where())
	return nil
}
