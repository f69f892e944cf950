// Package cli holds what every keel command shares: the exit-code scheme, the one-line error a
// command ends with, the stage argument, tables and JSON on stdout and the progress line on
// stderr.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// The exit-code scheme, the one `vault` has: 0 ok, 1 failed, 2 bad input, 3 access denied,
// 4 unreachable; 130 when interrupted (128 + SIGINT, as a shell reports it).
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitDenied      = 3
	ExitUnreachable = 4
	ExitInterrupted = 130
)

// ExitSummary is the exit-code scheme as `keel help` prints it.
const ExitSummary = "exit status: 0 ok, 1 failed (or found what it looks for: drift, a blocked review), 2 bad input, 3 access denied (or no credentials), 4 unreachable (or throttled: try again), 130 interrupted"

// Failure classes; wrap them (fmt.Errorf("%w: ...", cli.ErrUsage)) to choose the exit code.
var (
	ErrUsage        = errors.New("bad input")
	ErrAccessDenied = errors.New("access denied")
	ErrUnreachable  = errors.New("unreachable")
)

// Func is a command's entry point.
type Func func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Usage marks err as bad input (exit 2) unless it already has a class.
func Usage(err error) error {
	if err == nil || errors.Is(err, ErrUsage) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUsage, err)
}

// ExitCode maps an error to the scheme.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, ErrUsage):
		return ExitUsage
	case errors.Is(err, ErrAccessDenied):
		return ExitDenied
	case errors.Is(err, ErrUnreachable):
		return ExitUnreachable
	}
	return ExitFailed
}

// Run runs one command as a process does: it prints the error as one line prefixed with the
// command's name and returns the exit status.
func Run(ctx context.Context, name string, run Func, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := run(ctx, args, getenv, stdout, stderr)
	if err != nil && !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "keel %s: %v\n", name, err)
	}
	return ExitCode(err)
}

// errReported marks an error whose explanation the command has already printed.
var errReported = errors.New("reported")

// Reported returns an error of class class whose explanation the command already printed on
// stderr: Run adds no line of its own.
func Reported(class error) error {
	if class == nil {
		return errReported
	}
	return fmt.Errorf("%w%w", class, errReported)
}
