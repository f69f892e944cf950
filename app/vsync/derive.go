package vsync

import (
	"context"
	"fmt"
)

// maxDerivations bounds the PBKDF2 runs in flight across the process. A derivation cannot be
// interrupted: when its caller's ctx ends, the caller stops waiting but the run finishes in
// the background (at most MaxIterations, a few seconds). The bound keeps callers that give up
// over and over from piling up such runs; a caller waiting for a slot still honours its ctx.
const maxDerivations = 4

var derivationSlots = make(chan struct{}, maxDerivations)

// derivation is a key derivation running in its own goroutine.
type derivation struct {
	iterations int
	done       chan struct{}
	key        []byte
	err        error
}

// startDerivation starts deriving the key once a slot is free (or fails with ctx's error).
func startDerivation(ctx context.Context, passphrase, salt string, iterations int) *derivation {
	d := &derivation{iterations: iterations, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		select {
		case derivationSlots <- struct{}{}:
		case <-ctx.Done():
			d.err = derivationEnded(ctx, iterations)
			return
		}
		defer func() { <-derivationSlots }()
		d.key, d.err = deriveKey(passphrase, salt, iterations)
	}()
	return d
}

// wait returns the key, or ctx's error as soon as ctx ends; the run then finishes on its own
// and its key is cleared.
func (d *derivation) wait(ctx context.Context) ([]byte, error) {
	select {
	case <-d.done:
		return d.key, d.err
	case <-ctx.Done():
		d.abandon()
		return nil, derivationEnded(ctx, d.iterations)
	}
}

// abandon clears the key once the run ends, whoever stopped waiting for it.
func (d *derivation) abandon() {
	go func() {
		<-d.done
		clear(d.key)
	}()
}

// deriveKeyContext is deriveKey that returns when ctx ends.
func deriveKeyContext(ctx context.Context, passphrase, salt string, iterations int) ([]byte, error) {
	return startDerivation(ctx, passphrase, salt, iterations).wait(ctx)
}

// derivationEnded is the error of a derivation cut short by its context. It carries none of
// the seven sentinels (nothing is wrong with the vault); ctx's cause stays in the chain, so
// errors.Is finds context.DeadlineExceeded or context.Canceled.
func derivationEnded(ctx context.Context, iterations int) error {
	return fmt.Errorf("vsync: key derivation (%d PBKDF2 iterations) had not finished when the context ended: %w", iterations, context.Cause(ctx))
}
