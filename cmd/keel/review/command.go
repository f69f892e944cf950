package review

import (
	"context"
	"io"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// Run is `keel review`; a change the guard blocks exits 1 after the comment is written.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return cli.Adapt(run(ctx, args, getenv, stdout, stderr), args, errUsage)
}
