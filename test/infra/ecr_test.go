package infra

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/bootstraptemplate"
	"gopkg.in/yaml.v3"
)

// cliBootstrapTemplate is the pinned CDK CLI's own bootstrap template.
func cliBootstrapTemplate(t *testing.T) []byte {
	t.Helper()
	cdk := testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	cmd := exec.Command(cdk, "bootstrap", "--show-template", "--no-notices")
	cmd.Dir = testenv.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cdk bootstrap --show-template: %v", err)
	}
	return out
}

// TestBootstrapImageRepository: keel's bootstrap template keeps the stage's image repository
// by rule, scans each image on push and keeps tags immutable, and passes AWS Control Tower's
// ECR controls, which the CLI's own template fails (no scanning on push).
func TestBootstrapImageRepository(t *testing.T) {
	guard := testenv.Tool(t, cfnGuardBinary, "scripts/install-tools cdk")
	cli := cliBootstrapTemplate(t)
	b, err := bootstraptemplate.Customize(cli, bootstraptemplate.Props{KeepImages: bootstraptemplate.DefaultKeepImages})
	if err != nil {
		t.Fatal(err)
	}
	var keel, original map[string]any
	if err := json.Unmarshal(b, &keel); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(cli, &original); err != nil {
		t.Fatal(err)
	}

	repo := get(keel, "Resources", bootstraptemplate.Repository, "Properties")
	if get(repo, "ImageTagMutability") != "IMMUTABLE" || get(repo, "ImageScanningConfiguration", "ScanOnPush") != true {
		t.Errorf("repository properties: %s", jsonOf(repo))
	}
	var policy struct {
		Rules []struct {
			RulePriority int
			Selection    struct {
				TagStatus, CountType, CountUnit string
				CountNumber                     int
			}
			Action struct{ Type string }
		}
	}
	if err := json.Unmarshal([]byte(get(repo, "LifecyclePolicy", "LifecyclePolicyText").(string)), &policy); err != nil {
		t.Fatal(err)
	}
	got := jsonOf(policy.Rules)
	want := `[{"RulePriority":1,"Selection":{"TagStatus":"untagged","CountType":"sinceImagePushed","CountUnit":"days","CountNumber":1},"Action":{"Type":"expire"}},` +
		`{"RulePriority":2,"Selection":{"TagStatus":"any","CountType":"imageCountMoreThan","CountUnit":"","CountNumber":50},"Action":{"Type":"expire"}}]`
	if got != want {
		t.Errorf("lifecycle rules:\n got %s\nwant %s", got, want)
	}

	var ecr []*control
	for _, c := range loadControls(t) {
		if strings.HasPrefix(c.ID, "CT.ECR.") {
			ecr = append(ecr, c)
		}
	}
	if len(ecr) < 3 {
		t.Fatalf("%d Control Tower ECR controls, want scanning, lifecycle policy and tag immutability", len(ecr))
	}
	var kept template
	_ = json.Unmarshal(b, &kept)
	byTemplate, _ := evaluate(t, guard, map[string]template{"keel": kept, "cli": template(original)}, ecr)
	for _, v := range byTemplate["keel"] {
		t.Errorf("keel's bootstrap template: %s fails %s: %s", v.resource, v.control.ID, v.control.Fix)
	}
	if !slices.ContainsFunc(byTemplate["cli"], func(v violation) bool { return v.control.ID == "CT.ECR.PR.2" }) {
		t.Errorf("the CLI's own template passes CT.ECR.PR.2 (image scanning): the control does not judge what it should; violations %v", byTemplate["cli"])
	}

	// Everything else is the CLI's template, unchanged.
	delete(get(keel, "Resources").(map[string]any), bootstraptemplate.Repository)
	delete(get(original, "Resources").(map[string]any), bootstraptemplate.Repository)
	if jsonOf(keel) != jsonOf(original) {
		t.Error("keel's bootstrap template differs from the CLI's beyond the image repository")
	}

	if _, err := bootstraptemplate.Customize(cli, bootstraptemplate.Props{KeepImages: 1}); err == nil {
		t.Error("a repository keeping one image (no rollback image) was accepted")
	}
}
