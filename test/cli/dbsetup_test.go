package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// fakeECS stands in for the AWS CLI calls make db-setup makes, answering as `--output text`
// does with the queries the script passes: describe-stacks prints KEY<TAB>VALUE lines (or the
// CLI's error for a missing stack), run-task prints "<task ARN><TAB>None" or "None<TAB><reason>"
// (RunTask reports capacity and placement problems in failures, not as an error), the
// tasks-stopped waiter exits 255 when it gives up, describe-tasks prints "<exit code><TAB><stopped
// reason>" ("None" for a container that never ran). Every call is appended to FAKE_CALLS.
const fakeECS = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_CALLS"
task=arn:aws:ecs:eu-west-1:123456789012:task/keel-dev-cluster/0123456789abcdef
case "$1 $2" in
"cloudformation describe-stacks")
  case "$FAKE_STACK" in
  missing) echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $4 does not exist" >&2; exit 254 ;;
  nodb) printf 'ClusterName\tkeel-dev-cluster\nLogGroupName\tkeel-dev-logs\n' ;;
  *) printf 'ClusterName\tkeel-dev-cluster\nDbSetupNetworkConfiguration\tawsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-1],assignPublicIp=ENABLED}\nDbSetupTaskDefinitionArn\tarn:aws:ecs:eu-west-1:123456789012:task-definition/dbsetup:3\nLogGroupName\tkeel-dev-logs\n' ;;
  esac ;;
"ecs run-task")
  if [ -n "$FAKE_RUN_FAILURE" ]; then printf 'None\t%s\n' "$FAKE_RUN_FAILURE"; else printf '%s\tNone\n' "$task"; fi ;;
"ecs wait")
  if [ -n "$FAKE_WAIT_TIMEOUT" ]; then echo "Waiter TasksStopped failed: Max attempts exceeded" >&2; exit 255; fi ;;
"ecs describe-tasks")
  printf '%s\t%s\n' "${FAKE_EXIT:-0}" "${FAKE_REASON:-Essential container in task exited}" ;;
*) echo "unexpected aws call: $*" >&2; exit 2 ;;
esac
`

// TestDBSetup: make db-setup runs the dbsetup task with the stack's task definition, the
// service's subnets and security group, waits for it, and fails with the reason and the log
// stream when it does not end with exit code 0.
func TestDBSetup(t *testing.T) {
	root := testenv.RepoRoot(t)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeECS), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   []string
		code  int
		want  string
		calls int
	}{
		{"done", nil, 0, "db-setup: done", 4},
		{"setup failed", []string{"FAKE_EXIT=1"}, 1, "exit code 1 (Essential container in task exited); its log: aws logs tail keel-dev-logs --log-stream-names dbsetup/dbsetup/0123456789abcdef", 4},
		{"image not pulled", []string{"FAKE_EXIT=None", "FAKE_REASON=CannotPullContainerError: pull access denied"}, 1, "exit code None (CannotPullContainerError", 4},
		{"no capacity", []string{"FAKE_RUN_FAILURE=RESOURCE:ENI"}, 1, "ECS did not start the task: RESOURCE:ENI", 2},
		{"never stops", []string{"FAKE_WAIT_TIMEOUT=1"}, 1, "did not stop in time", 3},
		{"not deployed", []string{"FAKE_STACK=missing"}, 1, "keel-dev does not exist: deploy it first (make deploy STAGE=dev)", 1},
		{"no database", []string{"FAKE_STACK=nodb"}, 1, "the stage has no database", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, lines := runScript(t, bin, "db-setup", "keel-dev", tt.env)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", code, out, tt.code, tt.want)
			}
			if len(lines) != tt.calls {
				t.Errorf("aws calls:\n%s\nwant %d", strings.Join(lines, "\n"), tt.calls)
			}
			if tt.calls >= 2 && !strings.Contains(lines[1], "ecs run-task --cluster keel-dev-cluster --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/dbsetup:3 --launch-type FARGATE --network-configuration awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-1],assignPublicIp=ENABLED}") {
				t.Errorf("run-task call = %s", lines[1])
			}
		})
	}
	// Without credentials make refuses before any AWS call.
	log, err := runIn(t, root, offlineEnv(), "make", "-s", "db-setup", "STAGE=dev")
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || !strings.Contains(log, "make db-setup: no AWS credentials found") {
		t.Errorf("make db-setup without credentials: %v\n%s", err, log)
	}
}
