package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/keelstack/keel/app/vsync"
)

// token mints VSYNC_CONFIG for a read-only key, after checking that the key can read the
// manifest with exactly the client the service will use. It prints the token, or with --out
// writes it to a file created 0600 and renamed into place, so that an interrupted run leaves
// the previous file or the new one, never a partial token or a readable one.
func token(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	fs := newFlags("token", stderr)
	var t target
	t.register(fs, e)
	accessKey := fs.String("access-key-id", "", "the reader's access key ID (secret: VAULT_READER_SECRET_ACCESS_KEY[_FILE])")
	out := fs.String("out", "", "write the token to this file (mode 0600, replaced atomically) instead of stdout")
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
	_, err = t.reader(cfg).Fetch(ctx, cfg.Prefix+"manifest")
	switch {
	case errors.Is(err, vsync.ErrObjectNotFound):
		fmt.Fprintf(stderr, "vault: warning: the key can reach %s but nothing is published there yet: run vault push before deploying\n", t.where())
	case err != nil:
		return describe(err, "read "+t.where()+"manifest with key "+*accessKey)
	}
	if *out == "" {
		fmt.Fprintln(stdout, blob)
		return nil
	}
	if err := writePrivate(*out, []byte(blob+"\n")); err != nil {
		return fmt.Errorf("write the token to %s: %w (the previous file, if any, is unchanged)", *out, err)
	}
	fmt.Fprintf(stdout, "wrote the token for key %s to %s (mode 0600)\n", *accessKey, *out)
	return nil
}

// writePrivate replaces path with data: a temporary file in the same directory, created 0600
// whatever the umask, synced, then renamed over path.
func writePrivate(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename this finds nothing
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
