package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/smithy-go"

	"github.com/keelstack/keel/app/stagesecrets"
	"github.com/keelstack/keel/app/vsync"
)

// publish is push and token through the foundation's secrets, so that no secret passes
// through a terminal, a file or a clipboard:
//
//  1. the reader secret gives the read-only key and the vault's bucket, prefix and region;
//  2. the passphrase secret gives the passphrase; while it holds its placeholder, a new
//     passphrase is generated and put there first (once: a racing publish gets the winner's);
//  3. the config secret's current token gives the salt and iterations; while it holds its
//     placeholder, the salt is derived from the placeholder's version ID (or --salt taken);
//  4. the env file is pushed, unless the published generation already holds exactly it;
//  5. the token for the reader key is minted, checked against the bucket, and put in the
//     config secret when it differs from what the secret holds.
//
// The config secret changes last, so it leaves its placeholder only once a vault it can open
// exists: until then the deploy refuses. Re-running after any failure finishes the job.
func publish(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	fs := newFlags("publish", stderr)
	var t target
	t.register(fs, e)
	var ids secretIDs
	ids.register(fs, e)
	envFile := fs.String("env-file", "", "the env file (KEY=value lines)")
	var assets assetFlags
	fs.Var(&assets, "asset", "name=path of a file to publish as an asset (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := ids.check(); err != nil {
		return err
	}
	release, err := loadRelease(*envFile, assets)
	if err != nil {
		return err
	}
	sm, err := ids.client(ctx, t.region)
	if err != nil {
		return err
	}

	reader, err := readReader(ctx, sm, ids.reader, &t)
	if err != nil {
		return err
	}
	passphrase, generated, err := resolvePassphrase(ctx, sm, ids.passphrase)
	if err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(stdout, "generated a passphrase into %s\n", ids.passphrase)
	}
	configState, current, err := resolveSalt(ctx, sm, ids.config, &t)
	if err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}

	store, err := t.writer(ctx)
	if err != nil {
		return err
	}
	// The passphrase secret and the token's salt are the live vault's key: a vault that does
	// not open with them is refused, never published over (vault push --rekey re-keys).
	if err := checkContinuity(ctx, store, t, passphrase, false, stdout); err != nil {
		return err
	}
	cfg := t.config("", "")
	if remote, p, err := vsync.ReadRelease(ctx, store.store, cfg, passphrase); err == nil && sameRelease(release, remote) {
		fmt.Fprintf(stdout, "generation %d at %s already holds this env file and these assets: nothing to push\n", p.Generation, t.where())
	} else {
		p, err := vsync.Publish(ctx, store.store, cfg, passphrase, release, time.Now())
		if err != nil {
			return describe(err, "publish to "+t.where())
		}
		fmt.Fprintf(stdout, "published generation %d (bundle v=%s, %d keys, %d assets) to %s\n", p.Generation, p.TS, len(release.KV), len(release.Assets), t.where())
	}

	tokenCfg := t.config(reader.AccessKeyID, reader.SecretAccessKey)
	blob, err := vsync.EncodeConfig(tokenCfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if _, err := vsync.NewS3Fetcher(tokenCfg).Fetch(ctx, tokenCfg.Prefix+"manifest"); err != nil {
		return describe(err, "read "+t.where()+"manifest with the reader key from "+ids.reader)
	}
	if configState == stagesecrets.Set && current == blob {
		fmt.Fprintf(stdout, "%s already holds this token\n", ids.config)
		return nil
	}
	if err := stagesecrets.Write(ctx, sm, ids.config, blob); err != nil {
		return secretsErr(err, "write the token")
	}
	fmt.Fprintf(stdout, "wrote the token for reader key %s into %s\n", reader.AccessKeyID, ids.config)
	return nil
}

// readReader reads the reader secret and takes the vault's location from it; a location
// given by flag must agree.
func readReader(ctx context.Context, sm stagesecrets.Client, id string, t *target) (stagesecrets.Reader, error) {
	value, err := stagesecrets.Read(ctx, sm, id)
	if err != nil {
		return stagesecrets.Reader{}, secretsErr(err, "read the reader key")
	}
	r, err := stagesecrets.ParseReader(value)
	if err != nil {
		return stagesecrets.Reader{}, fmt.Errorf("%w: %s: %v", errUsage, id, err)
	}
	for _, f := range []struct {
		flag string
		v    *string
		from string
	}{{"--bucket", &t.bucket, r.Bucket}, {"--prefix", &t.prefix, r.Prefix}} {
		if *f.v != "" && *f.v != f.from {
			return stagesecrets.Reader{}, fmt.Errorf("%w: %s %q differs from the foundation's %q (in %s): drop the flag", errUsage, f.flag, *f.v, f.from, id)
		}
		*f.v = f.from
	}
	t.region = r.Region
	return r, nil
}

// resolvePassphrase reads the passphrase, or generates it into a secret that still holds its
// placeholder. The new passphrase is stored before anything is sealed with it.
func resolvePassphrase(ctx context.Context, sm stagesecrets.Client, id string) (string, bool, error) {
	st, err := stagesecrets.Inspect(ctx, sm, id)
	if err != nil {
		return "", false, secretsErr(err, "inspect the passphrase")
	}
	switch st.State {
	case stagesecrets.Set:
		p, err := stagesecrets.Read(ctx, sm, id)
		if err != nil {
			return "", false, secretsErr(err, "read the passphrase")
		}
		return p, false, nil
	case stagesecrets.Empty:
		return "", false, fmt.Errorf("%w: secret %s has no value and is not the foundation's placeholder: put the passphrase in it, or point --passphrase-secret at the foundation's", errUsage, id)
	}
	fresh, err := newPassphrase()
	if err != nil {
		return "", false, err
	}
	p, err := stagesecrets.ReplacePlaceholder(ctx, sm, id, st, fresh)
	if err != nil {
		return "", false, secretsErr(err, "store the new passphrase")
	}
	return p, p == fresh, nil
}

// resolveSalt takes the salt and iterations of the current token, so that every publish and
// token of a vault agree. A config secret that still holds its placeholder starts a vault: its
// salt is the placeholder's version ID, a UUID Secrets Manager chose when the foundation was
// created. A salt need be unique, not secret, and this one is the same for every publish that
// races to start the vault, so whichever generation ends up current opens with the token any
// of them writes.
func resolveSalt(ctx context.Context, sm stagesecrets.Client, id string, t *target) (stagesecrets.State, string, error) {
	st, err := stagesecrets.Inspect(ctx, sm, id)
	if err != nil {
		return 0, "", secretsErr(err, "inspect the token")
	}
	switch st.State {
	case stagesecrets.Empty:
		return st.State, "", fmt.Errorf("%w: secret %s has no value and is not the foundation's placeholder: point --config-secret at the foundation's", errUsage, id)
	case stagesecrets.Placeholder:
		if t.salt == "" {
			t.salt = "keel-vault-" + st.CurrentVersion
		}
		return st.State, "", nil
	}
	current, err := stagesecrets.Read(ctx, sm, id)
	if err != nil {
		return st.State, "", secretsErr(err, "read the token")
	}
	cur, err := vsync.DecodeConfig(current)
	if err != nil {
		return st.State, "", fmt.Errorf("%w: secret %s does not hold a vsync token (%s): put one there or restore its previous version", errUsage, id, vsync.CanonicalName(err))
	}
	if cur.Bucket != t.bucket || cur.Prefix != t.prefix {
		return st.State, "", fmt.Errorf("%w: the token in %s reads s3://%s/%s, not the foundation's %s", errUsage, id, cur.Bucket, cur.Prefix, t.where())
	}
	t.salt, t.iterations = cur.Salt, cur.Iterations
	return st.State, current, nil
}

func sameRelease(local, remote vsync.Release) bool {
	return diff(local.KV, remote.KV, func(a, b string) bool { return a == b }) == "" && diff(local.Assets, remote.Assets, bytes.Equal) == ""
}

// secretsErr classes a Secrets Manager failure like the S3 ones.
func secretsErr(err error, action string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException":
			return fmt.Errorf("%w: cannot %s: %s: check your AWS credentials and their Secrets Manager permissions", errAccessDenied, action, ae.ErrorCode())
		}
	}
	if errors.Is(err, stagesecrets.ErrNotFound) {
		return fmt.Errorf("%w: cannot %s: %v: run make foundation STAGE=<stage> first", errUsage, action, err)
	}
	return fmt.Errorf("cannot %s: %w", action, err)
}
