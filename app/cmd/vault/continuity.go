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
	_, current, err := vsync.ReadRelease(ctx, b.store, t.config("", ""), passphrase)
	switch {
	case err == nil:
		if rekey {
			fmt.Fprintf(stderr, "vault: --rekey: generation %d already opens with this key; nothing is re-keyed\n", current.Generation)
		}
		return nil
	case errors.Is(err, vsync.ErrManifestNotFound):
		return nil // a new vault: this publish sets its key
	case errors.Is(err, vsync.ErrS3Unreachable):
		return describe(err, "read the live vault at "+t.where())
	case rekey:
		fmt.Fprintf(stderr, "vault: --rekey: the live vault at %s does not open with this key (%s); publishing under the new key: "+
			"every task started from now on needs the new passphrase secret and, if the salt or iteration count changed, a new token (vault token)\n",
			t.where(), vsync.CanonicalName(err))
		return nil
	case errors.Is(err, vsync.ErrWrongPassphrase):
		return fmt.Errorf("%w at %s: %s; nothing was written.\n%s", errKeyMismatch, t.where(), mismatchDetail(ctx, b, t), continuityFix)
	default:
		return fmt.Errorf("%w: the live vault at %s is unreadable (%s: %v); nothing was written. Run vault verify with the deployed token to see what tasks see; "+
			"vault push --rekey publishes over it", errUsage, t.where(), vsync.CanonicalName(err), err)
	}
}

const continuityFix = "Use the passphrase (VAULT_PASSPHRASE), salt (--salt, VAULT_SALT) and iteration count (--iterations, VAULT_ITERATIONS) " +
	"the vault was sealed with: they are the ones in the deployed token. To change the passphrase run vault rotate-passphrase; " +
	"to publish under a new key anyway, add --rekey (every deployed passphrase secret and token must then be replaced before a task restarts)"

// mismatchDetail says which of passphrase, salt and iterations differs, as far as the live
// manifest records them; a vault from another writer records neither.
func mismatchDetail(ctx context.Context, b bucket, t target) string {
	return "the passphrase, the salt or the iteration count differs from the ones it was sealed with"
}
