package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/githubroles"
	"github.com/keelstack/keel/test/internal/testenv"
)

// TestDeployGuard runs scripts/deploy-guard dev on an assembly holding the dev golden template
// (or a copy without its cluster), with stand-ins for the AWS CLI (get-template answers the
// golden template) and gh (the merged pull request's labels).
func TestDeployGuard(t *testing.T) {
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/@aws-cdk/cloudformation-diff/package.json", "scripts/install-tools cdk")
	golden, err := os.ReadFile(filepath.Join(root, "test", "infra", "testdata", "dev.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	const deployed = `cat "$DEPLOYED"`
	for _, tt := range []struct {
		name, aws, gh string
		env           []string
		dropCluster   bool
		ok            bool
		want          string
	}{
		{"no change", deployed, `echo other-label`, ci, false, true, "no stateful"},
		{"cluster destroyed", deployed, `echo other-label`, ci, true, false, "AWS::ECS::Cluster): will destroy"},
		{"cluster destroyed, label on the merged pull request", deployed, `printf 'x\nallow-replacement\n'`, ci, true, true, "allowed by the allow-replacement label"},
		{"cluster destroyed, ALLOW_REPLACEMENT set in CI", deployed, `echo other-label`, append(ci, "ALLOW_REPLACEMENT=true"), true, false, "will destroy"},
		{"cluster destroyed, by hand with ALLOW_REPLACEMENT", deployed, `exit 99`, []string{"ALLOW_REPLACEMENT=true"}, true, true, "allowed by the allow-replacement label"},
		{"labels unreadable", deployed, `echo "HTTP 403" >&2; exit 1`, ci, false, false, "cannot read the labels of the pull request that merged"},
		{"template unreadable", `echo "An error occurred (AccessDenied) when calling the GetTemplate operation" >&2; exit 254`, `echo x`, ci, false, false, "cannot read the deployed template of keel-dev"},
		{"not deployed yet", `echo "An error occurred (ValidationError) when calling the GetTemplate operation: Stack with id keel-dev does not exist" >&2; exit 254`, `echo x`, ci, true, true, "no stateful"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, bin := t.TempDir(), t.TempDir()
			var tmpl map[string]any
			_ = json.Unmarshal(golden, &tmpl)
			if tt.dropCluster {
				for id, r := range tmpl["Resources"].(map[string]any) {
					if r.(map[string]any)["Type"] == "AWS::ECS::Cluster" {
						delete(tmpl["Resources"].(map[string]any), id)
					}
				}
			}
			b, _ := json.Marshal(tmpl)
			os.MkdirAll(filepath.Join(dir, "cdk.out", "assembly-dev"), 0o755)
			os.WriteFile(filepath.Join(dir, "cdk.out", "assembly-dev", "devService694531C0.template.json"), b, 0o644)
			os.WriteFile(filepath.Join(dir, "deployed.json"), golden, 0o644)
			standIn(t, bin, "aws", tt.aws)
			standIn(t, bin, "gh", tt.gh)
			env := append(offlineEnv("PATH="+bin+":"+os.Getenv("PATH"), "CDK_APP=cdk.out", "DEPLOYED="+filepath.Join(dir, "deployed.json")), tt.env...)
			out, err := runIn(t, dir, env, filepath.Join(root, "scripts", "deploy-guard"), "dev")
			if (err == nil) != tt.ok || !strings.Contains(out, tt.want) {
				t.Errorf("deploy-guard: %v\n%s\nwant ok=%t and %q", err, out, tt.ok, tt.want)
			}
		})
	}
}

// ci is a workflow run's environment.
var ci = []string{"GITHUB_SHA=0123456789abcdef0123456789abcdef01234567", "GITHUB_REPOSITORY=keelstack/keel", "GH_TOKEN=x"}

// TestDeployRunsTheGuard: the deploy job runs the guard, with a token to read the labels,
// right before make deploy.
func TestDeployRunsTheGuard(t *testing.T) {
	job := readWorkflow(t, filepath.Base(githubroles.DeployWorkflow)).Jobs["deploy"]
	if p := guardBeforeDeploy(job.Steps); p != "" {
		t.Errorf("%s: %s", githubroles.DeployWorkflow, p)
	}
	unguarded := []step{{Run: "make head-of-main"}, {Run: `make deploy STAGE="$STAGE"`}}
	if guardBeforeDeploy(unguarded) == "" {
		t.Error("a deploy without the guard passes the check")
	}
}

func guardBeforeDeploy(steps []step) string {
	for i, s := range steps {
		if strings.HasPrefix(strings.TrimSpace(s.Run), "make deploy ") {
			if i == 0 || !strings.HasPrefix(steps[i-1].Run, "make deploy-guard ") || !strings.Contains(steps[i-1].Run, "CDK_APP=cdk.out") {
				return "make deploy-guard on the deployed assembly is not the step before make deploy"
			}
			if steps[i-1].Env["GH_TOKEN"] == "" {
				return "the guard step has no GH_TOKEN to read the merged pull request's labels"
			}
			return ""
		}
	}
	return "no make deploy"
}

// TestRotationAndGuardRefuseEarly: without what they need, the two targets stop with one
// line naming it, before anything talks to AWS.
func TestRotationAndGuardRefuseEarly(t *testing.T) {
	root := testenv.RepoRoot(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"rotate-reader-key", "STAGE=dev"}, "make rotate-reader-key: ENV_FILE is required"},
		{[]string{"rotate-reader-key", "STAGE=qa", "ENV_FILE=.env.qa"}, "STAGE='qa' is not a stage"},
		{[]string{"deploy-guard", "STAGE=dev"}, "make deploy-guard: no AWS credentials found"},
	} {
		out, err := runIn(t, root, offlineEnv(), "make", append([]string{"-s"}, tt.args...)...)
		if err == nil || !strings.Contains(out, tt.want) {
			t.Errorf("make %v: %v\n%s\nwant a failure with %q", tt.args, err, out, tt.want)
		}
	}
}
