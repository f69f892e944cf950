package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/keelstack/keel/app/vsync"
)

// errKeyMismatch is a write refused because the live vault does not open with the key the write
// would use: publishing anyway would make every deployed passphrase and token unable to boot.
var errKeyMismatch = fmt.Errorf("%w: the live vault does not open with this key", errUsage)

// checkContinuity opens the live bundle with the key a write is about to seal with (passphrase,
// salt, iterations) and refuses when it does not open. Nothing published yet is fine. With
// rekey, a vault that does not open is published over, after saying what that breaks.
func checkContinuity(ctx context.Context, b bucket, t target, passphrase string, rekey bool, stderr io.Writer) error {
	err := vsync.CheckContinuity(ctx, b.store, t.config("", ""), passphrase)
	switch {
	case err == nil:
		if rekey {
			fmt.Fprintln(stderr, "vault: --rekey: the live vault already opens with this key; nothing is re-keyed")
		}
		return nil
	case errors.Is(err, vsync.ErrS3Unreachable):
		return describe(err, "read the live vault at "+t.where())
	case rekey:
		fmt.Fprintf(stderr, "vault: --rekey: the live vault at %s does not open with this key (%s); publishing under the new key: "+
			"every task started from now on needs the new passphrase secret and, if the salt or iteration count changed, a new token (vault token)\n",
			t.where(), mismatchName(err))
		return nil
	}
	return keyMismatch(err, t, "VAULT_PASSPHRASE", "nothing was written")
}

// keyMismatch explains a live vault that does not open with the key given in passVar: which
// of passphrase, salt and iterations differs where the manifest records them, and the fix.
func keyMismatch(err error, t target, passVar, consequence string) error {
	var km *vsync.KeyMismatchError
	if errors.As(err, &km) || errors.Is(err, vsync.ErrWrongPassphrase) {
		return fmt.Errorf("%w at %s (%s, --salt, --iterations): %s; %s.\n%s", errKeyMismatch, t.where(), passVar, mismatchDetail(err), consequence, continuityFix)
	}
	return openFailed(err, t, passVar)
}

// mismatchDetail is the library's account of what differs, without its generic advice.
func mismatchDetail(err error) string {
	var km *vsync.KeyMismatchError
	if !errors.As(err, &km) {
		return "the passphrase, the salt or the iteration count differs from the ones it was sealed with"
	}
	return km.Error()
}

func mismatchName(err error) string {
	if errors.Is(err, vsync.ErrKeyMismatch) {
		return "key mismatch"
	}
	return vsync.CanonicalName(err)
}

const continuityFix = "Use the passphrase (VAULT_PASSPHRASE), salt (--salt, VAULT_SALT) and iteration count (--iterations, VAULT_ITERATIONS) " +
	"the vault was sealed with: the salt and count are the ones in the deployed token. To change the passphrase (or, with --new-iterations, the count) " +
	"run vault rotate-passphrase; to publish under a new key anyway, add --rekey (every deployed passphrase secret and token must then be replaced before a task restarts)"

// openFailed classifies a failure to open the live vault with the passphrase in passVar.
func openFailed(err error, t target, passVar string) error {
	switch {
	case errors.Is(err, vsync.ErrS3Unreachable):
		return describe(err, "read the live vault at "+t.where())
	case errors.Is(err, vsync.ErrWrongPassphrase), errors.Is(err, vsync.ErrKeyMismatch):
		return keyMismatch(err, t, passVar, "nothing was written")
	case errors.Is(err, vsync.ErrManifestNotFound):
		return fmt.Errorf("%w: nothing is published at %s yet: run vault push first", errUsage, t.where())
	}
	return fmt.Errorf("%w: the live vault at %s is unreadable (%s): %v; nothing was written. vault verify with the deployed token shows what tasks see; "+
		"vault push --rekey publishes over it", errUsage, t.where(), vsync.CanonicalName(err), err)
}
