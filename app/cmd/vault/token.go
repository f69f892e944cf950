package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/keelstack/keel/app/vsync"
)

// token mints VSYNC_CONFIG for a read-only key, after checking that the key can read the
// manifest with exactly the client the service will use.
func token(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	fs := newFlags("token", stderr)
	var t target
	t.register(fs, e)
	accessKey := fs.String("access-key-id", "", "the reader's access key ID (secret: VAULT_READER_SECRET_ACCESS_KEY[_FILE])")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}
	if *accessKey == "" {
		return fmt.Errorf("%w: --access-key-id is required", errUsage)
	}
	secretKey, err := e.secret("VAULT_READER_SECRET_ACCESS_KEY")
	if err != nil {
		return err
	}
	cfg := t.config(*accessKey, secretKey)
	blob, err := vsync.EncodeConfig(cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	_, err = vsync.NewS3Fetcher(cfg).Fetch(ctx, cfg.Prefix+"manifest")
	switch {
	case errors.Is(err, vsync.ErrObjectNotFound):
		fmt.Fprintf(stderr, "vault: warning: the key can reach %s but nothing is published there yet: run vault push before deploying\n", t.where())
	case err != nil:
		return describe(err, "read "+t.where()+"manifest with key "+*accessKey)
	}
	fmt.Fprintln(stdout, blob)
	return nil
}
