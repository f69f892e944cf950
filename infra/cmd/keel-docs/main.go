// Command keel-docs writes the generated reference pages under docs/ (settings, make targets,
// packages) and, from a synthesized assembly, a picture of each stage; with -check it only reports the stale ones and exits 1. Run it from the
// repository root, as make docs does.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/keelstack/keel/infra/reference"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "keel-docs:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("keel-docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "the repository root")
	check := fs.Bool("check", false, "report stale pages instead of writing them")
	assembly := fs.String("assembly", "", "a synthesized cloud assembly (make synth-fast): also draw each stage as docs/stage-<stage>.svg")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pages, err := reference.Pages(*root)
	if err != nil {
		return err
	}
	if *assembly != "" {
		pictures, err := reference.Pictures(*assembly)
		if err != nil {
			return err
		}
		pages = append(pages, pictures...)
	}
	if *check {
		return reference.Stale(*root, pages)
	}
	return reference.Write(*root, pages)
}
