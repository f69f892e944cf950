// Command keel-stage prints one fact of a stage's settings (cdk.json's context over the Go
// defaults, validated as synth validates them) for the Makefile's targets that talk to AWS
// without synthesizing: `keel-stage prod region`. It builds no construct and starts no Node.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/keelstack/keel/infra/settings"
)

const usage = "usage: keel-stage <stage> region|account|config-secret|passphrase-secret|reader-secret|foundation-stack"

func main() {
	if err := run(os.Args[1:], "cdk.json", os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "keel-stage:", err)
		os.Exit(2)
	}
}

func run(args []string, cdkJSON string, stdout io.Writer) error {
	if len(args) != 2 {
		return errors.New(usage)
	}
	name, field := args[0], args[1]
	s, err := stageFrom(cdkJSON, name)
	if err != nil {
		return err
	}
	v, err := fact(s, field)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, v)
	return nil
}

func stageFrom(cdkJSON, name string) (settings.Stage, error) {
	b, err := os.ReadFile(cdkJSON)
	if err != nil {
		return settings.Stage{}, fmt.Errorf("%v: run from the repository root", err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return settings.Stage{}, fmt.Errorf("%s: %v", cdkJSON, err)
	}
	stages, err := settings.FromContext(cfg.Context)
	if err != nil {
		return settings.Stage{}, fmt.Errorf("invalid stage settings:\n%w", err)
	}
	i := slices.IndexFunc(stages, func(s settings.Stage) bool { return s.Name == name })
	if i < 0 {
		return settings.Stage{}, fmt.Errorf("no stage %q: the stages are %v", name, settings.Names)
	}
	return stages[i], nil
}

// fact is one field; the secrets are the foundation's names or the imported ARNs.
func fact(s settings.Stage, field string) (string, error) {
	imported, names := s.Secrets.Imported(), s.FoundationNames()
	switch field {
	case "region":
		return s.Region, nil
	case "account":
		return s.Account, nil
	case "config-secret":
		if imported {
			return s.Secrets.ConfigARN, nil
		}
		return names.ConfigSecret, nil
	case "passphrase-secret":
		if imported {
			return s.Secrets.PassphraseARN, nil
		}
		return names.PassphraseSecret, nil
	case "reader-secret", "foundation-stack":
		if imported {
			return "", fmt.Errorf("%s%s imports its secrets (secrets.configArn, secrets.passphraseArn), so it has no foundation: publish and put the secrets as docs/runbooks.md's manual path says, or remove those settings to use the foundation", settings.ContextPrefix, s.Name)
		}
		if field == "reader-secret" {
			return names.ReaderSecret, nil
		}
		return names.Stack, nil
	}
	return "", errors.New(usage)
}
