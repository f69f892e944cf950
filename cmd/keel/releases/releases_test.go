package releases

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keelstack/keel/cmd/internal/awstest"
)

func TestReleasesOfSeededStage(t *testing.T) {
	srv := awstest.Start(t)
	srv.History(t, srv.Seed(t, "dev"), false)
	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		if err := Run(context.Background(), append(args, "--cdk-json", "../../../cdk.json"), nil, &out, &errOut); err != nil {
			t.Fatalf("keel releases %v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	table := run("dev")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 {
		t.Fatalf("keel releases dev: want a header and 3 releases:\n%s", table)
	}
	for i, want := range []string{"SUCCESSFUL           ROLLING   v3 (c0ffee3)  3m55s", "ROLLBACK_SUCCESSFUL  ROLLING   v2 (c0ffee2)  3m55s     Service deployment rolled back because the circuit breaker", "SUCCESSFUL           ROLLING   v1 (c0ffee1)"} {
		if !strings.Contains(lines[i+1], want) {
			t.Errorf("release %d (newest first) = %q, want %q", i+1, lines[i+1], want)
		}
	}
	var rs []Release
	if err := json.Unmarshal([]byte(run("dev", "--json", "--limit", "2")), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Version != "v3" || rs[1].Commit != "c0ffee2" || !strings.HasSuffix(rs[0].Image, "@sha256:0000000000000000000000000000000000000000000000000000000000000003") {
		t.Errorf("keel releases --json --limit 2: %+v", rs)
	}
}
