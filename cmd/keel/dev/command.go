package dev

import (
	"context"
	"flag"
	"io"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// Run is `keel dev`.
func Run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	return cli.Adapt(run(ctx, args, stdout, stderr), args, flag.ErrHelp)
}
