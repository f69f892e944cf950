package rehearse

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// Run is `keel rehearse STAGE`.
func Run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	err := run(ctx, cli.StageFlag(args), stdout, stderr)
	var usage usageError
	switch {
	case errors.As(err, &usage):
		return cli.Adapt(err, args, usage)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted; every process and file the rehearsal started is gone: %w", err)
	}
	return err
}
