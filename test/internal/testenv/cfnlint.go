package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keelstack/keel/tools/cfnlint"
)

// CfnLint is the cfn-lint on PATH. Missing, it fails the test on CI and skips it elsewhere.
func CfnLint(t testing.TB) string {
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

// LintAssemblies runs cfn-lint over every stack template of the cloud assemblies in dirs,
// each against its stack's region, and fails the test on each finding that
// test/cfnlint/exceptions.yaml does not accept; with complete (the assemblies hold every
// stage as make synth writes them), also on each exception that matches nothing.
func LintAssemblies(t testing.TB, complete bool, dirs ...string) {
	t.Helper()
	path := CfnLint(t)
	exceptions, err := cfnlint.LoadExceptions(filepath.Join(RepoRoot(t), "test", "cfnlint", "exceptions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var templates []cfnlint.Template
	for _, dir := range dirs {
		ts, err := cfnlint.Templates(dir)
		if err != nil {
			t.Fatal(err)
		}
		templates = append(templates, ts...)
	}
	start := time.Now()
	report, err := cfnlint.Run(context.Background(), path, templates, exceptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range report.Failures {
		t.Errorf("%s: fix it, or accept it in test/cfnlint/exceptions.yaml with a reason", f)
	}
	for _, e := range report.Unused {
		if complete {
			t.Errorf("exception %s on %s matches no finding: remove it from test/cfnlint/exceptions.yaml", e.Rule, e.Type)
		}
	}
	t.Logf("cfn-lint: %d templates, %d findings accepted, in %v", len(templates), len(report.Excepted), time.Since(start).Round(10*time.Millisecond))
}
