// Command keel is the project's one command line: the local loop (dev, rehearse, cost, review,
// preflight, bench), the day-2 view of a deployed stage (status, logs, releases, rollback,
// drift, smoke) and upkeep (pin-images). `keel help` lists them; `keel COMMAND -h` gives a
// command's flags. The make targets call it (make builds it once into bin/keel).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/keelstack/keel/cmd/internal/cli"
	"github.com/keelstack/keel/cmd/keel/bench"
)

func main() {
	// The benchmark's baseline server is this binary re-executed; it keeps SIGTERM's default action.
	if len(os.Args) > 1 && os.Args[1] == bench.BareServerCommand {
		if err := bench.BareServer(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "keel:", err)
			os.Exit(cli.ExitCode(err))
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		writeHelp(stderr)
		return cli.ExitUsage
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		if len(args) == 2 && args[1] == "--markdown" {
			writeMarkdown(stdout)
			return cli.ExitOK
		}
		if len(args) > 1 {
			if c, ok := lookup(args[1]); ok {
				return cli.Run(ctx, c.name, c.run, []string{"-h"}, getenv, stdout, stderr)
			}
		}
		writeHelp(stdout)
		return cli.ExitOK
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "keel: unknown command %q: keel help lists the commands\n", args[0])
		return cli.ExitUsage
	}
	return cli.Run(ctx, c.name, c.run, args[1:], getenv, stdout, stderr)
}
