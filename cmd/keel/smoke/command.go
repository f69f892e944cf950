package smoke

import (
	"context"
	"flag"
	"io"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// Run is `keel smoke`.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return cli.Adapt(run(ctx, args, getenv, stdout, stderr), args, flag.ErrHelp)
}
