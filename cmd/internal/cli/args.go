package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// HelpRequested reports whether args ask for a command's help (-h, -help, --help, --h) before
// any "--".
func HelpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// StageFlag lets a command that takes --stage accept the stage as its first argument too, the
// way the day-2 commands do (`keel rehearse dev --speed 4` is `keel rehearse --stage dev --speed 4`).
func StageFlag(args []string) []string {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return args
	}
	return append([]string{"--stage", args[0]}, args[1:]...)
}

// NewFlagSet is a command's flag set; -h prints usage (e.g. "keel status STAGE [--json]"),
// what (one paragraph) and the flags, on stderr.
func NewFlagSet(name, usage, what string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\n%s\n\n", usage, what)
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses a command's flags, taking one positional STAGE before or after them. After -h
// (the usage is printed) it returns "" and no error: the command ends successfully. Anything
// else wrong is bad input.
func Parse(fs *flag.FlagSet, args []string) (stage string, err error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		stage, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil
		}
		return "", Usage(err)
	}
	rest := fs.Args()
	if stage == "" && len(rest) > 0 {
		stage, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", Usage(errors.New("unexpected arguments " + strings.Join(rest, " ") + ": " + fs.Name() + " takes one STAGE"))
	}
	if stage == "" {
		return "", Usage(errors.New("which stage? " + fs.Name() + " STAGE, e.g. keel " + fs.Name() + " dev"))
	}
	return stage, nil
}

// Adapt maps a moved command's own usage error to the scheme: usage → bad input, and a help
// request (which the flag package answered on stderr) → success.
func Adapt(err error, args []string, usage ...error) error {
	if err == nil {
		return nil
	}
	if slices.ContainsFunc(usage, func(u error) bool { return errors.Is(err, u) }) {
		if HelpRequested(args) {
			return nil
		}
		return Usage(err)
	}
	return err
}
