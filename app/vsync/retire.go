package vsync

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Lister lists the keys under a prefix. S3Store and vsynctest.MemStore implement it.
type Lister interface {
	ListKeys(ctx context.Context, prefix string) ([]string, error)
}

// Retired is what RetireBundles did: the bundles it removed, and those it could not (each
// checked by reading it back after its delete failed).
type Retired struct {
	Removed   []string
	Remaining []string
}

// RetireBundles deletes every bundle under prefix older than the one the manifest names, so
// that key material a rotation replaced no longer sits in the bucket (a versioned bucket
// still keeps noncurrent versions: that needs a lifecycle rule). Only keys that sort before
// the current bundle are touched: a publish landing meanwhile writes a newer one, and the
// current bundle is never deleted. A delete whose response is lost is checked by reading the
// key back. The error, when some remain, names them.
func RetireBundles(ctx context.Context, store interface {
	ObjectStore
	Lister
}, prefix string) (Retired, error) {
	manifest, _, err := store.GetObject(ctx, prefix+manifestKey)
	if err != nil {
		return Retired{}, fmt.Errorf("vsync: retire bundles: read manifest: %w", err)
	}
	current, err := ParseManifest(manifest)
	if err != nil {
		return Retired{}, fmt.Errorf("vsync: retire bundles: %w", err)
	}
	keys, err := store.ListKeys(ctx, prefix+bundlePfx)
	if err != nil {
		return Retired{}, fmt.Errorf("vsync: retire bundles: list %s%s*: %w", prefix, bundlePfx, err)
	}
	var r Retired
	for _, key := range keys {
		ts := strings.TrimPrefix(key, prefix+bundlePfx)
		if len(ts) != tsLen || ts >= current {
			continue
		}
		if deleteChecked(ctx, store, key) {
			r.Removed = append(r.Removed, key)
		} else {
			r.Remaining = append(r.Remaining, key)
		}
	}
	if len(r.Remaining) > 0 {
		return r, fmt.Errorf("vsync: retire bundles: %d older bundles could not be deleted (%s); they still open with the key that sealed them: run again", len(r.Remaining), strings.Join(r.Remaining, ", "))
	}
	return r, nil
}

// deleteChecked deletes key and reports whether it is gone, reading it back when the delete
// failed (its response may have been lost after the store applied it).
func deleteChecked(ctx context.Context, store ObjectStore, key string) bool {
	if store.DeleteObject(ctx, key) == nil {
		return true
	}
	_, _, err := store.GetObject(ctx, key)
	return errors.Is(err, ErrObjectNotFound)
}
