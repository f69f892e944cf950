package bench

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// BareServerCommand is the hidden command the benchmark re-executes this binary with to get
// its baseline server (`keel bare-server PORT`); it must keep SIGTERM's default action.
const BareServerCommand = bareServerSwitch

// Run is `keel bench`.
func Run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	return cli.Adapt(run(ctx, args, stdout, stderr), args, flag.ErrHelp)
}

// BareServer serves the baseline on PORT until the process is killed.
func BareServer(args []string) error {
	if len(args) != 1 {
		return cli.Usage(errors.New("usage: keel " + bareServerSwitch + " PORT"))
	}
	return bareServer(args[0])
}
