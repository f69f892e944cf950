// Package cfnlint tests the cfn-lint check (tools/cfnlint, tools/cmd/cfnlint) on small
// assemblies of its own: it fails on a bad template, keeps exceptions to one rule on one
// resource type, and without cfn-lint skips, except on CI. test/infra runs it over every
// stage's synthesized templates.
package cfnlint

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/cfnlint"
)

// badTemplate has a property its type does not have (E3002) and an IAM action IAM does not
// know (W3037), the two kinds of finding the synthesized templates had.
var badTemplate = map[string]any{
	"Resources": map[string]any{
		"Topic": map[string]any{"Type": "AWS::SNS::Topic", "Properties": map[string]any{"Colour": "red"}},
		"Policy": map[string]any{"Type": "AWS::IAM::ManagedPolicy", "Properties": map[string]any{"PolicyDocument": map[string]any{
			"Version":   "2012-10-17",
			"Statement": []any{map[string]any{"Effect": "Allow", "Action": []any{"s3:DeleteBucketCors"}, "Resource": "*"}},
		}}},
	},
}

// assembly writes a cloud assembly with one stage holding tp in region, as cdk synth lays it out.
func assembly(t *testing.T, region string, tp map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	write := func(path string, v any) {
		b, _ := json.Marshal(v)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "manifest.json"), map[string]any{"artifacts": map[string]any{
		"assembly-dev": map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-dev"}},
	}})
	write(filepath.Join(dir, "assembly-dev", "manifest.json"), map[string]any{"artifacts": map[string]any{
		"devService": map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://123456789012/" + region,
			"properties": map[string]any{"templateFile": "devService.template.json"}},
	}})
	write(filepath.Join(dir, "assembly-dev", "devService.template.json"), tp)
	return dir
}

func cfnLint(t *testing.T) string {
	t.Helper()
	path, err := cfnlint.Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v: CI must lint the templates", err)
		}
		t.Skipf("%v: skipping", err)
	}
	return path
}

func TestFailsOnBadTemplate(t *testing.T) {
	t.Parallel() // no jsii here: separate processes only
	path := cfnLint(t)
	templates, err := cfnlint.Templates(assembly(t, "eu-west-1", badTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if len(templates) != 1 || templates[0].Region != "eu-west-1" {
		t.Fatalf("templates = %+v, want one in eu-west-1", templates)
	}
	findings, err := cfnlint.Lint(context.Background(), path, templates)
	if err != nil {
		t.Fatal(err)
	}
	report := cfnlint.Judge(findings, nil, len(templates))
	got := map[string]string{}
	for _, f := range report.Failures {
		got[f.Rule] = f.Resource + " " + f.Type + ": " + f.Message
	}
	if report.OK() || !strings.HasPrefix(got["E3002"], "Topic AWS::SNS::Topic") || !strings.Contains(got["W3037"], "deletebucketcors") {
		t.Errorf("findings on the bad template = %v, want E3002 on Topic and W3037 for s3:DeleteBucketCors", got)
	}

	// An exception covers its rule on its type only; one that matches nothing is reported.
	report = cfnlint.Judge(findings, []cfnlint.Exception{
		{Rule: "E3002", Type: "AWS::SNS::Topic", Reason: "test"},
		{Rule: "E3002", Type: "AWS::ECS::Service", Reason: "test"},
	}, len(templates))
	if len(report.Excepted) != 1 || len(report.Failures) != 1 || report.Failures[0].Rule != "W3037" || len(report.Unused) != 1 || report.Unused[0].Type != "AWS::ECS::Service" {
		t.Errorf("with exceptions: failures %v, excepted %v, unused %v", report.Failures, report.Excepted, report.Unused)
	}
}

func TestExceptionsFile(t *testing.T) {
	if _, err := cfnlint.LoadExceptions(filepath.Join(testenv.RepoRoot(t), "test", "cfnlint", "exceptions.yaml")); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"blanket rule": "exceptions:\n  - {rule: E3*, type: AWS::SNS::Topic, reason: r}\n",
		"no type":      "exceptions:\n  - {rule: E3002, type: '', reason: r}\n",
		"any type":     "exceptions:\n  - {rule: E3002, type: 'AWS::*', reason: r}\n",
		"no reason":    "exceptions:\n  - {rule: E3002, type: AWS::SNS::Topic}\n",
		"repeated":     "exceptions:\n  - {rule: E3002, type: AWS::SNS::Topic, reason: r}\n  - {rule: E3002, type: AWS::SNS::Topic, reason: s}\n",
		"unknown key":  "exceptions:\n  - {rule: E3002, type: AWS::SNS::Topic, reason: r, resource: Topic}\n",
	} {
		path := filepath.Join(t.TempDir(), "exceptions.yaml")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := cfnlint.LoadExceptions(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestCommand: the command fails on the bad template, and without cfn-lint on PATH it skips
// with a message, except under CI=true, where it fails.
func TestCommand(t *testing.T) {
	t.Parallel() // no jsii here: separate processes only
	cfnLint(t)
	bin, err := testenv.BuildGo(t.TempDir(), "tools/cmd/cfnlint")
	if err != nil {
		t.Fatal(err)
	}
	exceptions := filepath.Join(testenv.RepoRoot(t), "test", "cfnlint", "exceptions.yaml")
	dir := assembly(t, "eu-west-1", badTemplate)
	run := func(env ...string) (string, int) {
		cmd := exec.Command(bin, "--assembly", dir, "--exceptions", exceptions)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
			return string(out), exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := run(); code != 1 || !strings.Contains(out, "W3037") || !strings.Contains(out, "E3002") {
		t.Errorf("bad template: exit %d, output:\n%s", code, out)
	}
	noLint := "PATH=" + filepath.Dir(mustLookPath(t, "go"))
	if out, code := run(noLint, "CI="); code != 0 || !strings.Contains(out, "skipped: cfn-lint is not installed") {
		t.Errorf("without cfn-lint: exit %d, output:\n%s", code, out)
	}
	if out, code := run(noLint, "CI=true"); code != 1 || !strings.Contains(out, "CI must lint the templates") {
		t.Errorf("without cfn-lint on CI: exit %d, output:\n%s", code, out)
	}
}

func mustLookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
