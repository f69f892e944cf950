package cli

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestMakeCostJSON: make cost JSON=1 > cost.json, as a user pipes it, writes one JSON
// document, the stages in the app's order. make once echoed the go run line onto stdout.
func TestMakeCostJSON(t *testing.T) {
	testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	cmd := exec.Command("make", "cost", "JSON=1", "CDK_OUT="+t.TempDir())
	cmd.Dir, cmd.Env = testenv.RepoRoot(t), offlineEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("make cost JSON=1: %v\n%s", err, stderr.String())
	}
	var estimates []struct{ Stage string }
	if err := json.Unmarshal(stdout.Bytes(), &estimates); err != nil {
		t.Fatalf("make cost JSON=1 wrote no JSON document on stdout (%v):\n%s", err, stdout.String())
	}
	var stages []string
	for _, e := range estimates {
		stages = append(stages, e.Stage)
	}
	if want := []string{"dev", "staging", "prod"}; !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
}
