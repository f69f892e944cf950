package status

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/cmd/internal/awstest"
)

func status(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), append(args, "--cdk-json", "../../../cdk.json"), nil, &out, &errOut)
	return out.String() + errOut.String(), err
}

// TestStatusOfSeededStage reads a stage seeded into moto: the stack, the service's deployment,
// its image, target health, and exactly the stage's alarm in ALARM, as a table and as JSON.
func TestStatusOfSeededStage(t *testing.T) {
	srv := awstest.Start(t)
	seeded := srv.Seed(t, "dev")
	srv.AddDeployment(awstest.Deployment{ARN: "arn:aws:ecs:eu-west-1:123456789012:service-deployment/keel-dev-cluster/keel-dev-service/new1",
		ServiceARN: seeded.ServiceARN, ClusterARN: seeded.ClusterARN, Status: "IN_PROGRESS", LifecycleStage: "BAKE_TIME", Strategy: "CANARY",
		Created: time.Now().Add(-time.Minute)}, awstest.Revision{})

	out, err := status(t, "dev")
	if err != nil {
		t.Fatalf("keel status dev: %v\n%s", err, out)
	}
	for _, want := range []string{
		"stage dev (eu-west-1), stack keel-dev: CREATE_COMPLETE",
		"service keel-dev-service, ROLLING: 2 running, 0 pending of 2 desired",
		"keel-dev-app:1", "cdk-assets:4f1c2e",
		"in progress: CANARY IN_PROGRESS, phase BAKE_TIME",
		"keel-dev-blue", "10.0.1.10",
		"traffic (listener rule weights): keel-dev-blue 90, keel-dev-green 10",
		"keel-dev-5xx-rate", "Threshold Crossed",
		"dashboard: none",
		"vault: generation 3 published, 2, 2 served: stale",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("keel status dev does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "keel-dev-p99") {
		t.Errorf("keel status lists keel-dev-p99 in ALARM, but it is OK:\n%s", out)
	}

	out, err = status(t, "dev", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s Status
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("keel status --json is not only JSON: %v\n%s", err, out)
	}
	if s.Running != 2 || len(s.AlarmsInAlarm) != 1 || len(s.Targets) != 2 || len(s.InProgress) != 1 || len(s.Traffic) != 2 || s.Vault == nil || *s.Vault.Published != awstest.PublishedGeneration || len(s.Vault.Served) != 2 {
		t.Errorf("keel status --json: %+v", s)
	}
}

// TestStatusTableStoppedTasks: stopped tasks are listed with their stop reasons. (moto 5.2
// cannot run a Fargate task, so this part of the table is checked on a made-up status.)
func TestStatusTableStoppedTasks(t *testing.T) {
	s := &Status{Stage: "dev", Region: "eu-west-1", Stack: "keel-dev", StackStatus: "UPDATE_COMPLETE", Service: "svc", Strategy: "ROLLING",
		StoppedTasks: []Stopped{{Task: "0a1b", TaskDefinition: "keel-dev-app:7", Reason: "Essential container in task exited", Stopped: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}}}
	var out bytes.Buffer
	if err := s.write(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0a1b          keel-dev-app:7   2026-12-07 10:00:00Z  Essential container in task exited") {
		t.Errorf("the stopped task is not listed with its reason:\n%s", out.String())
	}
}
