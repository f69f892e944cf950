package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keelstack/keel/cmd/internal/awstest"
	"github.com/keelstack/keel/cmd/internal/cli"
)

func drift(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), append(args, "--interval", "10ms", "--cdk-json", "../../../cdk.json"), nil, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestDriftInSync(t *testing.T) {
	srv := awstest.Start(t)
	srv.Seed(t, "dev")
	srv.SetDrift("keel-dev", []awstest.ResourceDrift{{LogicalID: "Logs", PhysicalID: "keel-dev-app", Type: "AWS::Logs::LogGroup", Status: "IN_SYNC"}})
	out, progress, err := drift(t, "dev")
	if err != nil || !strings.Contains(out, "keel-dev: IN_SYNC, no resource changed outside CloudFormation") {
		t.Fatalf("keel drift dev in sync: %v\n%s", err, out)
	}
	if !strings.Contains(progress, "drift detection on keel-dev: DETECTION_IN_PROGRESS") || !strings.Contains(progress, "drift detection on keel-dev: done") {
		t.Errorf("keel drift shows no progress while it waits:\n%s", progress)
	}
}

// TestDriftDetected: a modified and a deleted resource are listed with the property that
// changed, and the command exits 1 (also with --json, whose stdout is only the JSON).
func TestDriftDetected(t *testing.T) {
	srv := awstest.Start(t)
	srv.Seed(t, "dev")
	srv.SetDrift("keel-dev", []awstest.ResourceDrift{
		{LogicalID: "Logs", PhysicalID: "keel-dev-app", Type: "AWS::Logs::LogGroup", Status: "MODIFIED",
			Differences: []awstest.PropertyDifference{{Path: "/RetentionInDays", Expected: "30", Actual: "1", Type: "NOT_EQUAL"}}},
		{LogicalID: "Blue", PhysicalID: "keel-dev-blue", Type: "AWS::ElasticLoadBalancingV2::TargetGroup", Status: "DELETED"},
		{LogicalID: "Vpc", PhysicalID: "vpc-1", Type: "AWS::EC2::VPC", Status: "IN_SYNC"},
	})
	out, _, err := drift(t, "dev")
	if cli.ExitCode(err) != cli.ExitFailed || !strings.Contains(err.Error(), "2 resource(s) of keel-dev changed outside CloudFormation") {
		t.Fatalf("keel drift dev with drift: %v (exit %d), want exit 1\n%s", err, cli.ExitCode(err), out)
	}
	for _, want := range []string{"Logs      AWS::Logs::LogGroup                       MODIFIED  /RetentionInDays  30", "Blue      AWS::ElasticLoadBalancingV2::TargetGroup  DELETED"} {
		if !strings.Contains(out, want) {
			t.Errorf("keel drift does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Vpc") {
		t.Errorf("keel drift lists a resource in sync:\n%s", out)
	}
	out, _, err = drift(t, "dev", "--json")
	var r Report
	if jerr := json.Unmarshal([]byte(out), &r); jerr != nil || cli.ExitCode(err) != 1 || len(r.Drifted) != 2 || r.Status != "DRIFTED" {
		t.Errorf("keel drift --json: %v, exit %d, %+v\n%s", jerr, cli.ExitCode(err), r, out)
	}
}
