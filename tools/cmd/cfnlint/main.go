// Command cfnlint runs cfn-lint over every stack template of a synthesized cloud assembly,
// each against the region its manifest gives it, and fails on every finding that the
// exceptions file does not accept and on every exception that matches nothing.
// Without cfn-lint it says so and passes, except under CI=true, where it fails.
//
//	cfnlint [--assembly cdk.out] [--exceptions test/cfnlint/exceptions.yaml]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/keelstack/keel/tools/cfnlint"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cfnlint:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cfnlint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	assembly := fs.String("assembly", "cdk.out", "the synthesized cloud assembly (make synth-fast)")
	exceptionsPath := fs.String("exceptions", "test/cfnlint/exceptions.yaml", "the accepted findings, each a rule and a resource type with its reason")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	path, err := cfnlint.Find()
	if errors.Is(err, cfnlint.ErrMissing) {
		if getenv("CI") == "true" {
			return fmt.Errorf("%w: CI must lint the templates", err)
		}
		fmt.Fprintf(stdout, "cfnlint: skipped: %v\n", err)
		return nil
	}
	exceptions, err := cfnlint.LoadExceptions(*exceptionsPath)
	if err != nil {
		return err
	}
	templates, err := cfnlint.Templates(*assembly)
	if err != nil {
		return err
	}
	start := time.Now()
	report, err := cfnlint.Run(ctx, path, templates, exceptions)
	if err != nil {
		return err
	}
	return cfnlint.WriteReport(stdout, report, *exceptionsPath, time.Since(start))
}
