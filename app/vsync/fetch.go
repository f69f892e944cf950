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

// release is what Open reads from S3: the bundle named by the manifest, and the generation.
type release struct {
	ts     string
	bundle []byte
	gen    int
}

func fetchRelease(ctx context.Context, f Fetcher, prefix string) (release, error) {
	manifest, err := fetchClassified(ctx, f, prefix+manifestKey, ErrManifestNotFound)
	if err != nil {
		return release{}, err
	}
	ts, err := ParseManifest(manifest)
	if err != nil {
		return release{}, err
	}
	bundle, err := fetchClassified(ctx, f, prefix+bundlePfx+ts, ErrBundleCorrupt)
	if err != nil {
		return release{}, err
	}
	return release{ts: ts, bundle: bundle, gen: fetchGeneration(ctx, f, prefix)}, nil
}

func (r release) decrypt(key []byte) (map[string]string, map[string][]byte, error) {
	plaintext, err := OpenEnvelope(key, r.bundle)
	if err != nil {
		return nil, nil, err
	}
	defer clear(plaintext)
	return ParseVault(plaintext)
}

// fetchClassified maps a missing object to notFound and any unclassified failure to
// ErrS3Unreachable, keeping the cause in the chain (errors.Is finds context.DeadlineExceeded).
func fetchClassified(ctx context.Context, f Fetcher, key string, notFound error) ([]byte, error) {
	b, err := f.Fetch(ctx, key)
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

// fetchGeneration reads latest.meta; any failure means generation 0, as upstream.
func fetchGeneration(ctx context.Context, f Fetcher, prefix string) int {
	b, err := f.Fetch(ctx, prefix+metaKey)
	if err != nil {
		return 0
	}
	return parseGeneration(b)
}
