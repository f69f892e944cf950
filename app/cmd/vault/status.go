package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/keelstack/keel/app/vsync"
)

// status compares a local env file (and assets) with the published generation, by name.
func status(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	r, err := parseReleaseArgs(ctx, "status", args, e, stderr)
	if err != nil {
		return err
	}
	if w := r.bucket.retentionWarning(ctx, r.target.prefix); w != "" {
		fmt.Fprintln(stderr, "vault: warning:", w)
	}
	remote, p, err := vsync.ReadRelease(ctx, r.bucket.store, r.target.config("", ""), r.passphrase)
	if err != nil {
		if errors.Is(err, vsync.ErrWrongPassphrase) {
			if detailed := vsync.CheckContinuity(ctx, r.bucket.store, r.target.config("", ""), r.passphrase); detailed != nil {
				err = detailed // says which parameter differs
			}
			return keyMismatch(err, r.target, "VAULT_PASSPHRASE", "a push with this key would be refused")
		}
		return openFailed(err, r.target, "VAULT_PASSPHRASE")
	}
	fmt.Fprintf(stdout, "remote generation %d (bundle v=%s) at %s\n", p.Generation, p.TS, r.target.where())
	kv := diff(r.release.KV, remote.KV, func(a, b string) bool { return a == b })
	files := diff(r.release.Assets, remote.Assets, bytes.Equal)
	if kv == "" && files == "" {
		fmt.Fprintln(stdout, "local files match the published generation")
		return nil
	}
	fmt.Fprintf(stdout, "local files differ from the published generation (run vault push to publish them):\n%s%s", kv, files)
	return nil
}

// diff lists the names only in local, only in remote, and in both with other content.
func diff[V any](local, remote map[string]V, equal func(a, b V) bool) string {
	var added, removed, changed []string
	for _, k := range slices.Sorted(maps.Keys(local)) {
		r, ok := remote[k]
		switch {
		case !ok:
			added = append(added, k)
		case !equal(local[k], r):
			changed = append(changed, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(remote)) {
		if _, ok := local[k]; !ok {
			removed = append(removed, k)
		}
	}
	var b strings.Builder
	for _, l := range []struct {
		what  string
		names []string
	}{{"only local", added}, {"only published", removed}, {"changed", changed}} {
		if len(l.names) > 0 {
			fmt.Fprintf(&b, "  %s: %s\n", l.what, strings.Join(l.names, " "))
		}
	}
	return b.String()
}
