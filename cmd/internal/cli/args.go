package cli

import (
	"errors"
	"flag"
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

// Parse parses a command's flags, taking one positional STAGE before or after them. It
// returns flag.ErrHelp for -h (the usage was printed) and a bad-input error otherwise.
func Parse(fs *flag.FlagSet, args []string) (stage string, err error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		stage, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
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
