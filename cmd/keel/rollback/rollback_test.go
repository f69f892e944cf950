package rollback

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/cmd/internal/awstest"
	"github.com/keelstack/keel/cmd/internal/cli"
)

func rollback(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append(args, "--interval", "10ms", "--cdk-json", "../../../cdk.json"), strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

// TestRollbackInProgress: asked and refused, nothing is stopped; with --yes (or a yes) the
// deployment is stopped with ROLLBACK and keel waits, with progress, until the service is
// steady.
func TestRollbackInProgress(t *testing.T) {
	srv := awstest.Start(t)
	history := srv.History(t, srv.Seed(t, "dev"), true)
	current := history[2].ARN

	srv.Calls()
	out, err := rollback(t, "n\n", "dev")
	if !errors.Is(err, cli.ErrUsage) || !strings.Contains(err.Error(), "not confirmed; nothing was changed") || !strings.Contains(out, "Roll back dev? [y/N]") {
		t.Fatalf("answering n: %v\n%s", err, out)
	}
	if calls := srv.Calls(); slices.Contains(calls, "StopServiceDeployment") || srv.Deployment(current).Status != "IN_PROGRESS" {
		t.Fatalf("a refused rollback changed something: calls %v, status %s", calls, srv.Deployment(current).Status)
	}

	out, err = rollback(t, "y\n", "dev")
	if err != nil {
		t.Fatalf("answering y: %v\n%s", err, out)
	}
	for _, want := range []string{"deployment d3 is IN_PROGRESS (phase BAKE_TIME)", "rolling back dev: ROLLBACK_IN_PROGRESS", "rolled back: ROLLBACK_SUCCESSFUL; 2 of 2 tasks running", "dev is steady on the previous revision"} {
		if !strings.Contains(out, want) {
			t.Errorf("keel rollback dev does not say %q:\n%s", want, out)
		}
	}
	if got := srv.Deployment(current).Status; got != "ROLLBACK_SUCCESSFUL" {
		t.Errorf("deployment status after the rollback = %s", got)
	}
}

func TestRollbackYesDoesNotAsk(t *testing.T) {
	srv := awstest.Start(t)
	history := srv.History(t, srv.Seed(t, "dev"), true)
	out, err := rollback(t, "", "dev", "--yes")
	if err != nil || strings.Contains(out, "[y/N]") {
		t.Fatalf("keel rollback dev --yes: %v\n%s", err, out)
	}
	if got := srv.Deployment(history[2].ARN).Status; got != "ROLLBACK_SUCCESSFUL" {
		t.Errorf("deployment status after the rollback = %s", got)
	}
}

// TestRollbackCompleted: with nothing in progress keel changes nothing and names the pipeline
// path, with the commits of the live and the previous release.
func TestRollbackCompleted(t *testing.T) {
	srv := awstest.Start(t)
	srv.History(t, srv.Seed(t, "dev"), false)
	srv.Calls()
	out, err := rollback(t, "", "dev", "--yes")
	if err == nil || cli.ExitCode(err) != cli.ExitFailed {
		t.Fatalf("keel rollback of a completed deployment: %v (exit %d), want exit 1\n%s", err, cli.ExitCode(err), out)
	}
	for _, want := range []string{"no deployment of dev is in progress", "live release v3 (commit c0ffee3)", "git revert c0ffee1..c0ffee3", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	for _, c := range srv.Calls() {
		if strings.HasPrefix(c, "Stop") || strings.HasPrefix(c, "Update") {
			t.Errorf("keel rollback of a completed deployment called %s", c)
		}
	}
}
