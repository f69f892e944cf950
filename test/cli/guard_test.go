package cli

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestDiffGuard runs the pull-request guard on the dev golden template and changed copies.
func TestDiffGuard(t *testing.T) {
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/@aws-cdk/cloudformation-diff/package.json", "scripts/install-tools cdk")
	golden, err := os.ReadFile(filepath.Join(root, "test", "infra", "testdata", "dev.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(mutate func(resources map[string]any)) string {
		var tmpl map[string]any
		if err := json.Unmarshal(golden, &tmpl); err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(tmpl["Resources"].(map[string]any))
		}
		b, _ := json.Marshal(tmpl)
		path := filepath.Join(t.TempDir(), "t.json")
		os.WriteFile(path, b, 0o644)
		return path
	}
	resourceOf := func(resources map[string]any, typ string) (string, map[string]any) {
		for id, r := range resources {
			if r := r.(map[string]any); r["Type"] == typ {
				return id, r
			}
		}
		t.Fatalf("no %s in the golden template", typ)
		return "", nil
	}
	deployed := write(nil)
	tests := []struct {
		name   string
		mutate func(map[string]any)
		allow  bool
		code   int
		want   string
	}{
		{"no change", nil, false, 0, "no stateful"},
		{"not deployed yet", nil, false, 0, "no stateful"},
		{"task change", func(r map[string]any) {
			_, task := resourceOf(r, "AWS::ECS::TaskDefinition")
			task["Properties"].(map[string]any)["Cpu"] = "512"
		}, false, 0, "no stateful"},
		{"log group renamed", func(r map[string]any) {
			_, lg := resourceOf(r, "AWS::Logs::LogGroup")
			lg["Properties"].(map[string]any)["LogGroupName"] = "renamed"
		}, false, 1, "AWS::Logs::LogGroup): will replace"},
		{"cluster removed", func(r map[string]any) {
			id, _ := resourceOf(r, "AWS::ECS::Cluster")
			delete(r, id)
		}, false, 1, "AWS::ECS::Cluster): will destroy"},
		{"load balancer removed, label set", func(r map[string]any) {
			id, _ := resourceOf(r, "AWS::ElasticLoadBalancingV2::LoadBalancer")
			delete(r, id)
		}, true, 0, "allowed by the allow-replacement label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := deployed
			if tt.name == "not deployed yet" {
				from = filepath.Join(t.TempDir(), "missing.json")
			}
			cmd := exec.Command("node", filepath.Join(root, "scripts", "diff-guard.mjs"), from, write(tt.mutate))
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "ALLOW_REPLACEMENT="+map[bool]string{true: "true", false: "false"}[tt.allow])
			out, err := cmd.CombinedOutput()
			code := 0
			if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
				code = exit.ExitCode()
			}
			if code != tt.code || !strings.Contains(string(out), tt.want) {
				t.Fatalf("exit %d, output:\n%s\nwant %d and %q", code, out, tt.code, tt.want)
			}
		})
	}
}
