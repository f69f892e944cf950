// Command vault publishes and inspects the vsync runtime layout the service reads:
//
//	vault push               seal an env file (and assets) and publish it as the next generation
//	vault token              mint VSYNC_CONFIG for a read-only key, after checking it can read
//	vault verify             open exactly as the service does; print generation, keys, sources
//	vault rotate-passphrase  re-seal the current bundle under a new passphrase (new generation),
//	                         then remove the older bundles
//	vault prune              remove the bundles older than the live one (all their versions)
//	vault status             compare a local env file with the published generation
//	vault salt               print a new random salt for a new vault
//	vault publish            push and token through the foundation's Secrets Manager secrets
//
// Writes use the standard AWS credential chain (environment, profile). Passphrases and secret
// keys come from the environment or files, never from flags (shell history, process lists).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: vault <command> [flags]   (vault <command> -h for its flags)

commands: push, token, verify, rotate-passphrase, prune, status, salt, publish

exit status: 0 ok, 1 failed, 2 bad input, 3 access denied, 4 S3 unreachable`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vault:", err)
		os.Exit(exitCode(err))
	}
}

type command func(ctx context.Context, args []string, env env, stdout, stderr io.Writer) error

var commands = map[string]command{
	"push":              push,
	"token":             token,
	"verify":            verify,
	"rotate-passphrase": rotatePassphrase,
	"prune":             prune,
	"status":            status,
	"salt":              salt,
	"publish":           publish,
}

func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, usage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return fmt.Errorf("%w: unknown command %q\n%s", errUsage, args[0], usage)
	}
	return cmd(ctx, args[1:], env(lookupEnv), stdout, stderr)
}

// Failure classes, mapped to exit codes.
var (
	errUsage        = errors.New("bad input")
	errAccessDenied = errors.New("access denied")
	errUnreachable  = errors.New("S3 unreachable")
)

func exitCode(err error) int {
	switch {
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errAccessDenied):
		return 3
	case errors.Is(err, errUnreachable):
		return 4
	}
	return 1
}

// env reads the environment, with files as an alternative for secrets.
type env func(string) (string, bool)

// secret returns NAME's value, or the content of the file NAME_FILE names (trailing newline
// stripped), or an error saying how to provide it.
func (e env) secret(name string) (string, error) {
	if path, ok := e(name + "_FILE"); ok && path != "" {
		b, err := readSecretFile(path)
		if err != nil {
			return "", fmt.Errorf("%w: %s_FILE: %v", errUsage, name, err)
		}
		if v := trimNewline(string(b)); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%w: the file %s_FILE names is empty", errUsage, name)
	}
	if v, ok := e(name); ok && v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%w: set %s (or %s_FILE, a file holding it)", errUsage, name, name)
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
