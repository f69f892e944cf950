// Package testenv is what the test packages of this module share: the repository root, the
// cdk.json context, the -update flag for golden files, and tools that must not be skipped on
// CI.
package testenv

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Update rewrites golden files instead of comparing with them: go test ./... -update
var Update = flag.Bool("update", false, "rewrite golden files")

// FindRepoRoot is the nearest directory upwards holding cdk.json.
func FindRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "cdk.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no cdk.json above the test directory")
		}
		dir = parent
	}
}

// RepoRoot is FindRepoRoot for a test.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// ReadCDKContext is cdk.json's context: what `cdk synth` passes to the app.
func ReadCDKContext(root string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return cfg.Context, nil
}

// Tool returns the path of a tool that scripts/install-tools provides. Missing, it fails the
// test on CI and skips it elsewhere, naming the command that installs it.
func Tool(t testing.TB, rel, install string) string {
	t.Helper()
	path := filepath.Join(RepoRoot(t), rel)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing on CI: %s (make test runs it)", rel, install)
		}
		t.Skipf("%s is missing: run %s (make test does)", rel, install)
	}
	return path
}

// Command returns the path of a command the machine provides (a Debian package the project's
// install script adds): it skips the test when missing, saying how to install it, and fails
// on CI, where make test has installed it.
func Command(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing on CI: %s (make test runs it)", name, install)
		}
		t.Skipf("%s is missing: run %s (make test does)", name, install)
	}
	return path
}

// WriteOrCompare writes got to the golden file when -update is set; otherwise returns the
// golden content for the caller to compare.
func WriteOrCompare(t testing.TB, path string, got []byte) []byte {
	t.Helper()
	if *Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test ./... -update to create it", err)
	}
	return want
}

// GoModuleDir downloads module@version through the Go module proxy (once; the module cache
// keeps it) and returns its directory, for tests that read a module's files without importing
// it. Unavailable, it fails the test on CI and skips it elsewhere.
func GoModuleDir(t testing.TB, module string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); err != nil || jerr != nil || info.Dir == "" {
		msg := fmt.Sprintf("go mod download %s: %v %s", module, err, info.Error)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI needs the Go module proxy)", msg)
		}
		t.Skip(msg)
	}
	return info.Dir
}

// WithoutTemplateValidation re-executes the test binary with CDK_VALIDATION=false and exits
// with its status, unless this already is that run. jsii reads the environment when its
// package initialises, so setting it from inside the process has no effect; the built-in
// template validation (seconds and hundreds of MB per synth) runs instead in the CLI test and
// in `make synth`.
func WithoutTemplateValidation() {
	if os.Getenv("CDK_VALIDATION") != "" {
		return
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), "CDK_VALIDATION=false", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		panic(err)
	}
	os.Exit(0)
}
