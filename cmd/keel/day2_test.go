package main

import (
	"strings"
	"testing"

	"github.com/keelstack/keel/cmd/internal/awstest"
)

// day2 are the commands that read (or act on) a deployed stage, with arguments that make each
// one act if it could (rollback: --yes on a deployment in progress).
var day2 = [][]string{
	{"status"}, {"logs"}, {"releases"}, {"rollback", "--yes", "--interval", "10ms"}, {"drift", "--interval", "10ms"},
}

// TestDay2BadInput: each failure is one line naming the problem and the fix, with its exit
// code, and nothing is changed (no Stop/Update/Detect call reaches AWS when it fails before).
func TestDay2BadInput(t *testing.T) {
	srv := awstest.Start(t)
	history := srv.History(t, srv.Seed(t, "dev"), true)
	for _, tt := range []struct {
		name  string
		stage string
		setup func(t *testing.T)
		code  int
		want  string
	}{
		{"unknown stage", "qa", nil, 2, `no stage "qa": the stages are dev, staging, prod`},
		{"never deployed", "staging", nil, 1, "stage staging was never deployed: no stack keel-staging in eu-west-1 (make deploy STAGE=staging deploys it)"},
		{"no credentials", "dev", func(t *testing.T) { t.Setenv("AWS_ACCESS_KEY_ID", ""); t.Setenv("AWS_SECRET_ACCESS_KEY", "") }, 3,
			"no AWS credentials: set AWS_PROFILE (aws sso login) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"},
		{"access denied", "dev", func(t *testing.T) { fail(t, srv, "DescribeStacks", "AccessDenied") }, 3, "access denied: cannot read stack keel-dev: AccessDenied"},
		{"throttled", "dev", func(t *testing.T) { fail(t, srv, "DescribeStacks", "Throttling") }, 4, "AWS is throttling the account's API calls (Throttling) after the SDK's retries"},
	} {
		for _, cmd := range day2 {
			t.Run(tt.name+"/"+cmd[0], func(t *testing.T) {
				if tt.setup != nil {
					tt.setup(t)
				}
				srv.Calls()
				code, stdout, stderr := keel(t, append([]string{cmd[0], tt.stage, "--cdk-json", "../../cdk.json"}, cmd[1:]...)...)
				if code != tt.code || !strings.Contains(stderr, tt.want) {
					t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tt.code, tt.want)
				}
				if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines != 1 || stdout != "" {
					t.Errorf("want one line on stderr and nothing on stdout, got stdout %q, stderr:\n%s", stdout, stderr)
				}
				for _, c := range srv.Calls() {
					if strings.HasPrefix(c, "Stop") || strings.HasPrefix(c, "Update") || strings.HasPrefix(c, "Detect") {
						t.Errorf("a failed %s called %s", cmd[0], c)
					}
				}
			})
		}
	}
	if got := srv.Deployment(history[2].ARN).Status; got != "IN_PROGRESS" {
		t.Errorf("the deployment in progress is %s after the failed runs, want it untouched", got)
	}
}

// TestRollbackDenied: a role that may read but not stop deployments gets exit 3 and the
// deployment goes on.
func TestRollbackDenied(t *testing.T) {
	srv := awstest.Start(t)
	history := srv.History(t, srv.Seed(t, "dev"), true)
	fail(t, srv, "StopServiceDeployment", "AccessDeniedException")
	code, _, stderr := keel(t, "rollback", "dev", "--yes", "--cdk-json", "../../cdk.json")
	if code != 3 || !strings.Contains(stderr, "access denied: cannot stop deployment d3: AccessDeniedException") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if got := srv.Deployment(history[2].ARN).Status; got != "IN_PROGRESS" {
		t.Errorf("deployment status %s after a denied rollback", got)
	}
}

func fail(t *testing.T, srv *awstest.Server, op, code string) {
	srv.Fail(op, code)
	t.Cleanup(func() { srv.Fail(op, "") })
}
