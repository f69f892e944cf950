package vsync

import (
	"context"
	"errors"
	"fmt"
)

// Fetcher reads one object by its full key (the Client applies the prefix). A missing object
// is an error matching ErrObjectNotFound; any other non-sentinel error counts as
// ErrS3Unreachable.
type Fetcher interface {
	Fetch(ctx context.Context, key string) ([]byte, error)
}

// LimitedFetcher is a Fetcher that can refuse an object larger than limit without reading it
// (S3Store is one). The reader uses it for every read; with a plain Fetcher it checks the
// size after the read.
type LimitedFetcher interface {
	FetchLimited(ctx context.Context, key string, limit int64) ([]byte, error)
}

// release is what Open reads from S3: the bundle named by the manifest, and the generation
// paired with it.
type release struct {
	ts      string
	bundle  []byte
	gen     int
	payload manifestPayload
}

// fetchRelease reads the manifest, then the bundle it names, and pairs them with a
// generation that belongs to that bundle whatever publishes land between the reads:
//   - a manifest from this writer carries its generation: one read gives both;
//   - otherwise (upstream writers) the generation is latest.meta's, trusted only if the
//     manifest still names the same bundle when re-read after latest.meta. Writers raise
//     latest.meta after the manifest, so a latest.meta read before that re-read cannot be
//     newer than the bundle. On a second mismatch the generation is 0: the freshness check
//     then reports stale, never a wrong fresh.
//
// A bundle missing because a newer publish (or a rotation's clean-up) removed it after the
// manifest was read is retried once from a fresh manifest.
func fetchRelease(ctx context.Context, f Fetcher, prefix string) (release, error) {
	for attempt := 1; ; attempt++ {
		ts, payload, err := fetchManifest(ctx, f, prefix)
		if err != nil {
			return release{}, err
		}
		bundle, err := fetchClassified(ctx, f, prefix+bundlePfx+ts, ErrBundleCorrupt, maxBundle)
		if errors.Is(err, ErrObjectNotFound) && attempt == 1 {
			continue
		}
		if err != nil {
			return release{}, err
		}
		rel := release{ts: ts, bundle: bundle, payload: payload}
		if payload.keyed() {
			rel.gen = payload.Gen
			return rel, nil
		}
		gen := fetchGeneration(ctx, f, prefix)
		again, _, err := fetchManifest(ctx, f, prefix)
		if err != nil {
			return release{}, err
		}
		if again == ts {
			rel.gen = gen
			return rel, nil
		}
		if attempt > 1 {
			return rel, nil // generation 0: unpaired
		}
	}
}

// fetchManifest reads and parses the manifest under a small bound.
func fetchManifest(ctx context.Context, f Fetcher, prefix string) (string, manifestPayload, error) {
	b, err := fetchClassified(ctx, f, prefix+manifestKey, ErrManifestNotFound, maxSmallObject)
	if err != nil {
		return "", manifestPayload{}, err
	}
	ts, err := ParseManifest(b)
	if err != nil {
		return "", manifestPayload{}, err
	}
	return ts, parsePayload(b), nil
}

// remoteGeneration is the generation a fresh open would report, read the same way: from a
// keyed manifest payload, else from latest.meta.
func remoteGeneration(ctx context.Context, f Fetcher, prefix string) (int, error) {
	_, payload, err := fetchManifest(ctx, f, prefix)
	if err != nil {
		return 0, err
	}
	if payload.keyed() {
		return payload.Gen, nil
	}
	return fetchGeneration(ctx, f, prefix), nil
}

func (r release) decrypt(key []byte) (map[string]string, map[string][]byte, error) {
	plaintext, err := OpenEnvelope(key, r.bundle)
	if err != nil {
		return nil, nil, err
	}
	defer clear(plaintext)
	return ParseVault(plaintext)
}

// fetchClassified reads key under limit, maps a missing object to notFound (keeping
// ErrObjectNotFound in the chain) and any unclassified failure to ErrS3Unreachable, keeping
// the cause in the chain (errors.Is finds context.DeadlineExceeded).
func fetchClassified(ctx context.Context, f Fetcher, key string, notFound error, limit int64) ([]byte, error) {
	b, err := fetchLimited(ctx, f, key, limit)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, ErrObjectNotFound):
		if errors.Is(notFound, ErrBundleCorrupt) {
			return nil, fmt.Errorf("%w: the manifest points at a missing object %s: %w", notFound, key, err)
		}
		return nil, fmt.Errorf("%w: %s: %w", notFound, key, err)
	case isSentinel(err):
		return nil, err
	default:
		return nil, fmt.Errorf("%w: %s: %w", ErrS3Unreachable, key, err)
	}
}

func fetchLimited(ctx context.Context, f Fetcher, key string, limit int64) ([]byte, error) {
	if lf, ok := f.(LimitedFetcher); ok {
		return lf.FetchLimited(ctx, key, limit)
	}
	b, err := f.Fetch(ctx, key)
	if err == nil && int64(len(b)) > limit {
		return nil, tooLarge(key, int64(len(b)), limit)
	}
	return b, err
}

// fetchGeneration reads latest.meta; any failure means generation 0, as upstream.
func fetchGeneration(ctx context.Context, f Fetcher, prefix string) int {
	b, err := fetchLimited(ctx, f, prefix+metaKey, maxSmallObject)
	if err != nil {
		return 0
	}
	return parseGeneration(b)
}
