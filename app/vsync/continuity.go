package vsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrKeyMismatch is what CheckContinuity returns (as a *KeyMismatchError) when the key a
// writer is about to use would publish a bundle that the deployed token and passphrase cannot
// open.
var ErrKeyMismatch = errors.New("vsync: the key differs from the published vault's")

// KeyMismatchError says which key parameters differ from the published vault's. Differs
// lists "iterations", "salt" and "passphrase" as far as they can be told apart: the manifest
// of this writer records the iteration count and a salt fingerprint, so a bundle that does
// not decrypt while both match means the passphrase differs. Vaults from upstream writers
// record neither, and then Differs is empty and only "does not decrypt" is known.
type KeyMismatchError struct {
	Differs          []string
	VaultIterations  int // 0 when the vault does not record it
	WriterIterations int
	Err              error // the decryption failure, when the bundle was tried
}

func (e *KeyMismatchError) Error() string {
	var parts []string
	for _, d := range e.Differs {
		switch d {
		case "iterations":
			parts = append(parts, fmt.Sprintf("the iterations differ (the vault uses %d, this writer %d)", e.VaultIterations, e.WriterIterations))
		case "salt":
			parts = append(parts, "the salt differs (its fingerprint does not match the vault's)")
		case "passphrase":
			parts = append(parts, "the passphrase differs (salt and iterations match)")
		}
	}
	what := strings.Join(parts, "; ")
	if what == "" {
		what = "the current bundle does not decrypt with this passphrase, salt and iterations; the vault does not record its key parameters (published by another writer), so which one differs cannot be told"
	}
	return "vsync: " + what + ": publishing would strand every service that boots with the deployed token and passphrase; use the vault's values, or re-key on purpose"
}

func (e *KeyMismatchError) Unwrap() []error { return []error{ErrKeyMismatch, e.Err} }

// CheckContinuity opens the current bundle under cfg.Prefix with the key a writer is about to
// publish with (cfg's salt and iterations, passphrase), and returns nil when it opens or when
// nothing is published yet. A key that does not open it is a *KeyMismatchError naming what
// differs; a vault that cannot be read at all returns the reader's error (the seven
// sentinels). It never writes.
func CheckContinuity(ctx context.Context, f Fetcher, cfg Config, passphrase string) error {
	rel, err := fetchRelease(ctx, f, cfg.Prefix)
	if errors.Is(err, ErrManifestNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	mismatch := &KeyMismatchError{WriterIterations: cfg.Iterations}
	if rel.payload.keyed() {
		mismatch.VaultIterations = rel.payload.Iterations
		if rel.payload.Iterations != cfg.Iterations {
			mismatch.Differs = append(mismatch.Differs, "iterations")
		}
		if rel.payload.SaltSHA256 != saltFingerprint(cfg.Salt) {
			mismatch.Differs = append(mismatch.Differs, "salt")
		}
		if len(mismatch.Differs) > 0 {
			return mismatch
		}
	}
	key, err := deriveKeyContext(ctx, passphrase, cfg.Salt, cfg.Iterations)
	if err != nil {
		return err
	}
	defer clear(key)
	plaintext, err := OpenEnvelope(key, rel.bundle)
	clear(plaintext)
	switch {
	case errors.Is(err, ErrWrongPassphrase):
		if rel.payload.keyed() {
			mismatch.Differs = []string{"passphrase"}
		}
		mismatch.Err = err
		return mismatch
	case err != nil:
		return err
	}
	return nil
}
