package cfnlint

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// IAMActions is the list of IAM actions cfn-lint checks policies against (its rule W3037),
// from the Service Authorization Reference, as shipped in cfn-lint's data files
// (cfnlint/data/AdditionalSpecs/Policies.json): service prefix -> action names, in lower case
// (IAM action names are case-insensitive).
type IAMActions map[string]map[string]bool

// Known says whether IAM knows action ("service:Name"); a wildcard is never known.
func (a IAMActions) Known(action string) bool {
	service, name, ok := strings.Cut(strings.ToLower(action), ":")
	return ok && a[service][name]
}

// LoadIAMActions reads the action list of the cfn-lint at path, through the Python that runs it.
func LoadIAMActions(ctx context.Context, path string) (IAMActions, error) {
	file, err := policiesFile(ctx, path)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cfn-lint's IAM action list: %w", err)
	}
	var services map[string]struct {
		Actions map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &services); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := IAMActions{}
	for service, s := range services {
		out[service] = map[string]bool{}
		for name := range s.Actions {
			out[service][strings.ToLower(name)] = true
		}
	}
	if len(out["s3"]) == 0 || len(out["iam"]) == 0 {
		return nil, fmt.Errorf("%s lists no S3 or IAM actions: not cfn-lint's action list", file)
	}
	return out, nil
}

// policiesFile asks each Python that may run cfn-lint where its package is: the interpreter
// of the cfn-lint script (#!...python), then pyenv's (whose shim is a shell script), then python3.
func policiesFile(ctx context.Context, path string) (string, error) {
	var pythons []string
	if b, err := os.ReadFile(path); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		if f := strings.Fields(strings.TrimPrefix(line, "#!")); len(f) > 0 && strings.Contains(f[len(f)-1], "python") {
			pythons = append(pythons, f...)
		}
	}
	if out, err := exec.CommandContext(ctx, "pyenv", "which", "python").Output(); err == nil {
		pythons = append(pythons, strings.TrimSpace(string(out)))
	}
	pythons = append(pythons, "python3")
	for _, py := range pythons {
		if py == "/usr/bin/env" {
			continue
		}
		// find_spec locates the package without importing it (cfn-lint's import takes seconds).
		out, err := exec.CommandContext(ctx, py, "-c", "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('cfnlint').origin))").Output()
		if err == nil {
			return filepath.Join(strings.TrimSpace(string(out)), "data", "AdditionalSpecs", "Policies.json"), nil
		}
	}
	return "", fmt.Errorf("cannot find cfn-lint's Python package (tried %v): run cfn-lint from a Python that has it installed", pythons)
}
