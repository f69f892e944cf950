package preflight

import (
	"context"
	"errors"
	"io"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// Run is `keel preflight [STAGE]`. Its findings are printed as they are found, so a refusal
// ends without a line of its own.
func Run(ctx context.Context, args []string, _ func(string) string, _, stderr io.Writer) error {
	err := cli.Adapt(run(ctx, cli.StageFlag(args), stderr), args, errUsage)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, cli.ErrUsage):
		return cli.Reported(cli.ErrUsage)
	}
	return cli.Reported(err)
}
