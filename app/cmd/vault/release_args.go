package main

import (
	"context"
	"io"

	"github.com/keelstack/keel/app/vsync"
)

// releaseArgs is what push and status share: the target, the passphrase, the local release
// (an env file and assets) and a writer on the bucket.
type releaseArgs struct {
	target     target
	passphrase string
	release    vsync.Release
	bucket     bucket
	rekey      bool
}

// parseReleaseArgs parses the flags of a command that reads a local release, and checks all
// of it before anything touches S3.
func parseReleaseArgs(ctx context.Context, name string, args []string, e env, stderr io.Writer) (releaseArgs, error) {
	fs := newFlags(name, stderr)
	var r releaseArgs
	r.target.register(fs, e)
	envFile := fs.String("env-file", "", "the env file (KEY=value lines)")
	var assets assetFlags
	fs.Var(&assets, "asset", "name=path of a file to publish as an asset (repeatable)")
	if name == "push" {
		fs.BoolVar(&r.rekey, "rekey", false, "publish even though the live vault does not open with this passphrase, salt and iterations "+
			"(a re-key: every deployed passphrase secret and token must then be replaced)")
	}
	if err := parse(fs, args); err != nil {
		return r, err
	}
	if err := r.target.check(); err != nil {
		return r, err
	}
	var err error
	if r.passphrase, err = e.secret("VAULT_PASSPHRASE"); err != nil {
		return r, err
	}
	if r.release, err = loadRelease(*envFile, assets); err != nil {
		return r, err
	}
	r.bucket, err = r.target.writer(ctx)
	return r, err
}
