package vsync

import (
	"errors"
	"fmt"
	"strings"
)

// Outcome is how far a failed Publish got, established by re-reading the store after the
// failed write rather than assumed from the error: a write whose response was lost may well
// have been applied (the SDK's retry of an applied conditional put answers 412).
type Outcome int

const (
	// NotPublished: the generation that was current before is still current. Publish.Leftover
	// names a bundle of this publish that could not be removed (unreferenced, harmless).
	NotPublished Outcome = iota + 1
	// PublishedMetaBehind: the manifest names the new bundle, so every task that opens from
	// now on gets it, but latest.meta does not hold its generation yet.
	PublishedMetaBehind
	// OutcomeUnknown: the manifest write failed and the manifest could not be re-read, so
	// whether the new bundle is current cannot be told. Nothing was removed.
	OutcomeUnknown
)

// Sentinels for errors.Is on a *PublishError, one per Outcome.
var (
	ErrNotPublished          = errors.New("vsync: not published")
	ErrPublishedMetaBehind   = errors.New("vsync: published, latest.meta not raised")
	ErrPublishOutcomeUnknown = errors.New("vsync: publish outcome unknown")
)

func (o Outcome) sentinel() error {
	switch o {
	case NotPublished:
		return ErrNotPublished
	case PublishedMetaBehind:
		return ErrPublishedMetaBehind
	default:
		return ErrPublishOutcomeUnknown
	}
}

// PublishError is every error Publish returns once it has started writing. Attempt is the
// bundle and generation this publish tried to make current; Step is the write that failed
// ("bundle", "manifest", "latest.meta"); Err is that write's error and Detail what the
// re-read found. Its text never holds a passphrase or a vault value.
type PublishError struct {
	Outcome  Outcome
	Attempt  Published
	Step     string
	Leftover string // key of an unreferenced bundle of this publish left in the store, or ""
	Detail   string
	Err      error
}

func (e *PublishError) Error() string {
	var b strings.Builder
	switch e.Outcome {
	case NotPublished:
		fmt.Fprintf(&b, "vsync: publish: nothing was published (the previous generation is still current): %s", e.Detail)
	case PublishedMetaBehind:
		fmt.Fprintf(&b, "vsync: publish: bundle %s is current as generation %d, but latest.meta was not raised to it: %s", e.Attempt.TS, e.Attempt.Generation, e.Detail)
	default:
		fmt.Fprintf(&b, "vsync: publish: unknown whether bundle %s (generation %d) is current: %s", e.Attempt.TS, e.Attempt.Generation, e.Detail)
	}
	if e.Leftover != "" {
		fmt.Fprintf(&b, "; unreferenced bundle %s remains (safe to delete)", e.Leftover)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %s write: %v", e.Step, e.Err)
	}
	return b.String()
}

func (e *PublishError) Unwrap() error { return e.Err }

// Is matches the sentinel of e's Outcome.
func (e *PublishError) Is(target error) bool { return target == e.Outcome.sentinel() }
