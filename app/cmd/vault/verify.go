package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/keelstack/keel/app/vsync"
)

// verify opens the vault exactly as the service does (VSYNC_CONFIG and VSYNC_PASSPHRASE or
// their _FILE forms) and prints what it holds: names and sources, never values.
func verify(ctx context.Context, args []string, e env, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	keys := fs.String("keys", "", "comma-separated keys whose source (vault, env, default, missing) to show")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := vsync.Open(ctx, vsync.WithEnv(e), vsync.WithWarnings(func(m string) { fmt.Fprintln(stderr, m) }))
	if err != nil {
		return fmt.Errorf("%s: %w", vsync.CanonicalName(err), err)
	}
	defer c.Close()
	fmt.Fprintf(stdout, "opened %s\ngeneration %d\nkeys (%d): %s\nfiles (%d): %s\n", c, c.Generation(),
		len(c.Keys()), strings.Join(c.Keys(), " "), len(c.Files()), strings.Join(c.Files(), " "))
	for _, k := range strings.Split(*keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			fmt.Fprintf(stdout, "source %s %s\n", k, c.EnvSource(k))
		}
	}
	return nil
}
