package cost

import (
	"context"
	"io"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// Run is `keel cost [STAGE]`.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return cli.Adapt(run(ctx, cli.StageFlag(args), getenv, stdout, stderr), args, errUsage)
}
