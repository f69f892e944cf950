package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keelstack/keel/infra/githubroles"
	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/test/internal/testenv"
)

// repository is the one the stages' roles trust (the settings' default; cdk.json overrides it
// for a fork).
func repository(t *testing.T) string {
	t.Helper()
	s, err := settings.Defaults("dev")
	if err != nil {
		t.Fatal(err)
	}
	if ctx, err := testenv.ReadCDKContext(testenv.RepoRoot(t)); err == nil {
		if stages, err := settings.FromContext(ctx); err == nil {
			s = stages[0]
		}
	}
	return s.GitHub.Repository
}

// localWorkflow maps a job's uses (./path, or this repository's path at main) to the path in
// the repository; anything else is returned unchanged (and does not exist).
func localWorkflow(uses string) string {
	if p, ok := strings.CutPrefix(uses, "./"); ok {
		return p
	}
	if _, rest, ok := strings.Cut(uses, "/.github/"); ok {
		if p, ref, ok := strings.Cut(rest, "@"); ok && ref == githubroles.Branch && !strings.Contains(strings.SplitN(uses, "/.github/", 2)[0], "@") {
			return ".github/" + p
		}
	}
	return uses
}

// step is what the test reads of a workflow or composite-action step.
type step struct {
	ID   string            `yaml:"id"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

var (
	pinned   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	makeStep = regexp.MustCompile(`^make ([a-z-]+)( |$)`)
)

// TestWorkflowSteps: every step of every workflow and local action runs a make target that
// the Makefile has, a local action that exists, or a third-party action pinned by commit SHA;
// every workflow declares its permissions; jobs that may assume AWS roles ask for id-token.
func TestWorkflowSteps(t *testing.T) {
	root := testenv.RepoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	actions, _ := filepath.Glob(filepath.Join(root, ".github", "actions", "*", "action.yml"))
	if len(files) < 3 || len(actions) < 2 {
		t.Fatalf("found %d workflows and %d actions", len(files), len(actions))
	}
	for _, path := range append(files, actions...) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Permissions map[string]string `yaml:"permissions"`
			Jobs        map[string]struct {
				Uses        string            `yaml:"uses"`
				Permissions map[string]string `yaml:"permissions"`
				Steps       []step            `yaml:"steps"`
			} `yaml:"jobs"`
			Runs struct {
				Steps []step `yaml:"steps"`
			} `yaml:"runs"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		name := strings.TrimPrefix(path, root+"/")
		steps := doc.Runs.Steps
		if len(doc.Jobs) > 0 && doc.Permissions == nil {
			t.Errorf("%s declares no top-level permissions", name)
		}
		for jobName, job := range doc.Jobs {
			steps = append(steps, job.Steps...)
			if job.Uses != "" {
				if _, err := os.Stat(filepath.Join(root, localWorkflow(job.Uses))); err != nil {
					t.Errorf("%s job %s calls %s, which does not exist (a workflow of this repository, ./ or %s/...@%s)", name, jobName, job.Uses, repository(t), githubroles.Branch)
				}
			}
			for _, s := range job.Steps {
				assumes := strings.Contains(s.Uses, "configure-aws-credentials") || strings.HasSuffix(s.Uses, "/diff-stage")
				if assumes && job.Permissions["id-token"] != "write" && doc.Permissions["id-token"] != "write" {
					t.Errorf("%s job %s assumes an AWS role without id-token: write", name, jobName)
				}
			}
		}
		for _, s := range steps {
			switch {
			case strings.HasPrefix(s.Uses, "./"):
				if _, err := os.Stat(filepath.Join(root, s.Uses, "action.yml")); err != nil {
					t.Errorf("%s uses %s, which does not exist", name, s.Uses)
				}
			case s.Uses != "":
				if !pinned.MatchString(s.Uses) {
					t.Errorf("%s uses %s: pin third-party actions by full commit SHA", name, s.Uses)
				}
			case s.Run != "":
				m := makeStep.FindStringSubmatch(strings.TrimSpace(s.Run))
				if m == nil || strings.Contains(strings.TrimSpace(s.Run), "\n") {
					t.Errorf("%s runs %q: a step runs one make target", name, s.Run)
				} else if !regexp.MustCompile(`(?m)^` + m[1] + `:`).Match(makefile) {
					t.Errorf("%s runs make %s, which the Makefile does not have", name, m[1])
				}
			}
		}
	}
}

// workflow is what the delivery tests read of a workflow file.
type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]struct {
		Uses        string            `yaml:"uses"`
		Environment string            `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []step            `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

// TestWorkflowDelivery: deploys are serialized for the whole workflow and gated on the head
// of main; every checkout drops the job token; nothing assumes a lookup role; the workflows
// are the ones the roles' OIDC subjects name.
func TestWorkflowDelivery(t *testing.T) {
	root := testenv.RepoRoot(t)
	repo := repository(t)

	deploy := readWorkflow(t, "deploy.yml")
	if deploy.Concurrency.Group == "" || deploy.Concurrency.CancelInProgress {
		t.Errorf("deploy.yml: workflow-level concurrency %+v, want a group that queues (cancel-in-progress false)", deploy.Concurrency)
	}
	if branches := jsonOf(deploy.On["push"]); branches != `{"branches":["main"]}` || len(deploy.On) != 1 {
		t.Errorf("deploy.yml runs on %s, want only a push to main", jsonOf(deploy.On))
	}
	for _, stage := range settings.Names {
		if job := deploy.Jobs[stage]; job.Uses != "./"+githubroles.DeployWorkflow {
			t.Errorf("deploy.yml job %s calls %q, want ./%s (the deploy role trusts that file)", stage, job.Uses, githubroles.DeployWorkflow)
		}
	}

	stage := readWorkflow(t, filepath.Base(githubroles.DeployWorkflow))
	job := stage.Jobs["deploy"]
	if job.Environment != "${{ inputs.stage }}" {
		t.Errorf("%s: the deploy job's environment is %q, want the stage's (the deploy role trusts environment:<stage>)", githubroles.DeployWorkflow, job.Environment)
	}
	if problems := headGate(job.Steps); len(problems) > 0 {
		t.Errorf("%s: %s", githubroles.DeployWorkflow, strings.Join(problems, "; "))
	}

	pr := readWorkflow(t, "pull-request.yml")
	if want := repo + "/" + githubroles.DiffWorkflow + "@" + githubroles.Branch; pr.Jobs["diff"].Uses != want {
		t.Errorf("pull-request.yml's diff job calls %q, want %s (main's diff workflow: the diff roles trust it alone)", pr.Jobs["diff"].Uses, want)
	}
	diff := readWorkflow(t, filepath.Base(githubroles.DiffWorkflow))
	if _, ok := diff.On["workflow_call"]; !ok || len(diff.On) != 1 {
		t.Errorf("%s runs on %s, want only workflow_call", githubroles.DiffWorkflow, jsonOf(diff.On))
	}
	for _, s := range diff.Jobs["diff"].Steps {
		if strings.Contains(s.Uses, "actions/checkout") && s.With["ref"] != githubroles.Branch {
			t.Errorf("%s checks out %q, want main's code (ref: main): the pull request's code must not hold the diff roles", githubroles.DiffWorkflow, s.With["ref"])
		}
	}

	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	actions, _ := filepath.Glob(filepath.Join(root, ".github", "actions", "*", "action.yml"))
	for _, path := range append(files, actions...) {
		b, _ := os.ReadFile(path)
		name := strings.TrimPrefix(path, root+"/")
		if strings.Contains(strings.ToLower(string(b)), "lookup") {
			t.Errorf("%s mentions a lookup role: the diff reads the deployed template with its own role", name)
		}
		var doc struct {
			Jobs map[string]struct {
				Steps []step `yaml:"steps"`
			} `yaml:"jobs"`
			Runs struct {
				Steps []step `yaml:"steps"`
			} `yaml:"runs"`
		}
		_ = yaml.Unmarshal(b, &doc)
		steps := doc.Runs.Steps
		for _, j := range doc.Jobs {
			steps = append(steps, j.Steps...)
		}
		for _, s := range steps {
			if strings.Contains(s.Uses, "actions/checkout@") && s.With["persist-credentials"] != "false" {
				t.Errorf("%s: a checkout keeps the job token in .git/config for the repository code after it (persist-credentials: false)", name)
			}
		}
	}
}

// headGate: the head-of-main check runs right after the checkout, and every later step runs
// only when it said deploy.
func headGate(steps []step) []string {
	var problems []string
	gate := -1
	for i, s := range steps {
		if strings.TrimSpace(s.Run) == "make head-of-main" {
			gate = i
			if s.ID == "" {
				problems = append(problems, "the head-of-main step has no id")
			}
		}
	}
	if gate != 1 {
		return append(problems, "make head-of-main is not the step after the checkout")
	}
	want := "steps." + steps[gate].ID + ".outputs.deploy == 'true'"
	for _, s := range steps[gate+1:] {
		if s.If != want {
			problems = append(problems, fmt.Sprintf("step %q%q runs without if: %s", s.Uses, s.Run, want))
		}
	}
	deploys := false
	for _, s := range steps[gate+1:] {
		deploys = deploys || strings.HasPrefix(s.Run, "make deploy ")
	}
	if !deploys {
		problems = append(problems, "no make deploy after the gate")
	}
	return problems
}

func TestHeadGateRejectsUngatedSteps(t *testing.T) {
	good := []step{{Uses: "actions/checkout@x"}, {ID: "head", Run: "make head-of-main"}, {If: "steps.head.outputs.deploy == 'true'", Run: "make deploy STAGE=dev"}}
	if p := headGate(good); len(p) != 0 {
		t.Fatalf("a gated job fails: %v", p)
	}
	ungated := append(good[:2:2], step{Run: "make deploy STAGE=dev"})
	late := []step{{Uses: "actions/checkout@x"}, {Run: "make deploy STAGE=dev"}, {ID: "head", Run: "make head-of-main"}}
	for _, bad := range [][]step{ungated, late, good[:1]} {
		if len(headGate(bad)) == 0 {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCodeOwners: what decides who deploys, and with what, needs its owners' review.
func TestCodeOwners(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), ".github", "CODEOWNERS"))
	if err != nil {
		t.Fatal(err)
	}
	owned := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && !strings.HasPrefix(f[0], "#") {
			owned[f[0]] = true
		}
	}
	for _, path := range []string{"/.github/", "/scripts/", "/Makefile", "/infra/", "/cdk.json"} {
		if !owned[path] {
			t.Errorf("CODEOWNERS does not cover %s", path)
		}
	}
}
