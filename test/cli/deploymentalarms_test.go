package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAWS stands in for the AWS CLI's two read calls the preflight makes, answering as
// `--output text` does: a missing stack is an error naming it, a query with no match prints
// "None", a list prints tab-separated names. Every call is appended to calls.
const fakeAWS = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_CALLS"
case "$1 $2" in
"cloudformation describe-stacks")
  case "$FAKE_STACK" in
  missing) echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $4 does not exist" >&2; exit 254 ;;
  old) echo None ;;
  *) echo "$FAKE_NAMES" ;;
  esac ;;
"cloudwatch describe-alarms")
  if [ -n "$FAKE_ALARMS_ERROR" ]; then echo "$FAKE_ALARMS_ERROR" >&2; exit 254; fi
  if [ -z "$FAKE_FIRING" ]; then echo None; else printf '%s\n' "$FAKE_FIRING"; fi ;;
*) echo "unexpected aws call: $*" >&2; exit 2 ;;
esac
`

// TestDeploymentAlarmsClear: `make deploy` refuses to start while a deployment alarm is in
// ALARM (ECS would ignore it for the whole deployment), fails closed when it cannot tell,
// and lets a first deploy or an explicit ALLOW_ALARM=true through.
func TestDeploymentAlarmsClear(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAWS), 0o755); err != nil {
		t.Fatal(err)
	}
	names := "keel-prod-deployment-5xx-rate keel-prod-deployment-p99 keel-prod-deployment-unhealthy-hosts"
	tests := []struct {
		name      string
		env       []string
		code      int
		want      string
		wantCalls int
	}{
		{"clear", []string{"FAKE_NAMES=" + names}, 0, "are clear", 2},
		{"one in ALARM", []string{"FAKE_NAMES=" + names, "FAKE_FIRING=keel-prod-deployment-p99"}, 3, "in ALARM now: keel-prod-deployment-p99", 2},
		{"two in ALARM", []string{"FAKE_NAMES=" + names, "FAKE_FIRING=keel-prod-deployment-5xx-rate\tkeel-prod-deployment-p99"}, 3, "ALLOW_ALARM=true", 2},
		{"deploying the fix", []string{"FAKE_NAMES=" + names, "FAKE_FIRING=keel-prod-deployment-p99", "ALLOW_ALARM=true"}, 0, "WARNING: deploying while in ALARM", 2},
		{"first deploy", []string{"FAKE_STACK=missing"}, 0, "does not exist yet", 1},
		{"stack without the output", []string{"FAKE_STACK=old"}, 0, "no DeploymentAlarmNames output", 1},
		{"alarm state unreadable", []string{"FAKE_NAMES=" + names, "FAKE_ALARMS_ERROR=An error occurred (Throttling)"}, 1, "cannot read the state", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, lines := runScript(t, bin, "deployment-alarms-clear", "keel-prod", tt.env)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", code, out, tt.code, tt.want)
			}
			if len(lines) != tt.wantCalls {
				t.Errorf("aws calls:\n%s\nwant %d", strings.Join(lines, "\n"), tt.wantCalls)
			}
			if tt.wantCalls == 2 && !strings.Contains(lines[1], "describe-alarms --alarm-names "+names+" --state-value ALARM") {
				t.Errorf("describe-alarms call = %q, want the stack's three alarm names", lines[1])
			}
		})
	}
}
