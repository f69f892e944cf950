// Package cli runs the README's commands the way a user does: make and the pinned CDK CLI,
// offline, with the built-in template validation on.
package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/pin"
)

// offlineEnv is the process environment with no AWS credentials to find: none in the
// environment, and the shared files pointed at nothing (HOME stays, for Go's and jsii's caches).
func offlineEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "CDK_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_CONFIG_FILE=/nonexistent/aws-config", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/aws-credentials")
	return append(env, extra...)
}

func runIn(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestMakeSynth is README command (1): every stage synthesizes offline with the built-in
// template validation on, cdk-nag clean, and the validation report has no finding.
func TestMakeSynth(t *testing.T) {
	root := testenv.RepoRoot(t)
	out, log := assembly(t)
	for _, stage := range []string{"dev", "staging", "prod"} {
		for _, stack := range []string{"Service", "GitHub", "Bootstrap", "Foundation"} {
			if m, _ := filepath.Glob(filepath.Join(out, "assembly-"+stage, stage+stack+"*.template.json")); len(m) != 1 {
				t.Errorf("no %s %s template in %s", stage, stack, out)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "validation-report.json"))
	if err != nil {
		t.Fatalf("no validation report: the built-in template validation did not run: %v", err)
	}
	var report struct {
		PluginReports []struct {
			PluginName string `json:"pluginName"`
			Violations []struct {
				RuleName string `json:"ruleName"`
			} `json:"violations"`
			SuppressedViolations []any `json:"suppressedViolations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatal(err)
	}
	// The one finding expected: the defaults put every stage in one account, which synth warns
	// about (the warning is asserted below) and the report lists as the annotation it is.
	const accountLayout = "Annotation::keel:account-layout"
	for _, r := range report.PluginReports {
		findings := len(r.SuppressedViolations)
		for _, v := range r.Violations {
			if v.RuleName != accountLayout {
				findings++
			}
		}
		if findings > 0 {
			t.Errorf("%s reports findings:\n%s", r.PluginName, b)
		}
	}
	if strings.Contains(log, "feature flags are not configured") {
		t.Errorf("synth reports unconfigured feature flags (set them in cdk.json: cdk flags --unstable=flags):\n%s", log)
	}
	if strings.Contains(log, "AwsSolutions-") {
		t.Errorf("cdk-nag findings in the synth output:\n%s", log)
	}
	// The defaults put every stage in one account: synth says so, and still succeeds.
	if !strings.Contains(log, "keel:prod.account = 123456789012 is also the account of dev and staging") {
		t.Errorf("synth does not warn that prod shares its account:\n%s", log)
	}
	// Tag-only images are reported by synth with the line and the fix (make deploy's preflight).
	dt, _ := os.ReadFile(filepath.Join(root, "Dockerfile"))
	pins, err := pin.Check(dt)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(log, "preflight: warning: Dockerfile:"); got != len(pins) || len(pins) > 0 && !strings.Contains(log, "run make pin-images") {
		t.Errorf("make synth printed %d image warnings, want %d (%v):\n%s", got, len(pins), pins, log)
	}
}

// TestSynthRejectsBadOverride: a bad cdk.json/-c override fails synth with the app's message.
func TestSynthRejectsBadOverride(t *testing.T) {
	root := testenv.RepoRoot(t)
	cdk := testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	log, err := runIn(t, root, offlineEnv("CDK_VALIDATION=false"), cdk, "synth", "**", "--no-notices", "-q", "-o", t.TempDir(),
		"-c", `keel:prod={"drain":{"stopTimeoutSeconds":150}}`)
	if err == nil {
		t.Fatalf("synth accepted stopTimeoutSeconds 150:\n%s", log)
	}
	if !strings.Contains(log, "keel:prod.drain.stopTimeoutSeconds = 150: Fargate accepts 2 to 120") || strings.Contains(log, "goroutine") {
		t.Fatalf("synth output does not name the setting clearly:\n%s", log)
	}
}

// TestDiffAndDeployGuards: without credentials, or with an unknown stage, diff and deploy stop
// at once with a message and a non-zero status, touching nothing.
func TestDiffAndDeployGuards(t *testing.T) {
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	for _, tt := range []struct{ args, want string }{
		{"diff STAGE=dev", "make diff: no AWS credentials found"},
		{"deploy STAGE=dev", "make deploy: no AWS credentials found"},
		{"diff STAGE=qa", "STAGE='qa' is not a stage"},
		{"deploy", "STAGE='' is not a stage"},
	} {
		log, err := runIn(t, root, offlineEnv(), "make", append([]string{"-s"}, strings.Fields(tt.args)...)...)
		if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(log, tt.want) {
			t.Errorf("make %s: %v\n%s\nwant a failure saying %q", tt.args, err, log, tt.want)
		}
	}
}

// runScript runs one of scripts/ with the stand-ins in bin first on the PATH, each recording
// its call in FAKE_CALLS, and returns its exit code, its output and the calls it made.
func runScript(t *testing.T, bin, script, arg string, env []string) (code int, out string, calls []string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "calls")
	cmd := exec.Command(filepath.Join(testenv.RepoRoot(t), "scripts", script), arg)
	cmd.Env = append([]string{"PATH=" + bin + ":/usr/bin:/bin", "FAKE_CALLS=" + file}, env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	return code, buf.String(), strings.Split(strings.TrimSpace(string(b)), "\n")
}
