// Command bootstraptemplate writes keel's CDK bootstrap template: the CLI's own (read from
// --cli-template, the output of cdk bootstrap --show-template) with the image repository kept
// by rule, scanned on push and immutable (tools/bootstraptemplate).
//
//	bootstraptemplate --cli-template FILE --out FILE [--keep-images 50]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/keelstack/keel/tools/bootstraptemplate"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bootstraptemplate:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(_ context.Context, args []string, _ func(string) string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("bootstraptemplate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("cli-template", "", "the CDK CLI's bootstrap template (cdk bootstrap --show-template > FILE)")
	out := fs.String("out", "", "where to write keel's template (JSON)")
	keep := fs.Int("keep-images", bootstraptemplate.DefaultKeepImages, "how many images the stage's repository keeps")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *in == "" || *out == "" {
		return fmt.Errorf("%w: --cli-template and --out are required", errUsage)
	}
	cli, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	tp, err := bootstraptemplate.Customize(cli, bootstraptemplate.Props{KeepImages: *keep})
	if err != nil {
		return err
	}
	return os.WriteFile(*out, tp, 0o644)
}
