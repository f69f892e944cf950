package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keelstack/keel/test/internal/testenv"
)

// step is what the test reads of a workflow or composite-action step.
type step struct {
	Uses string `yaml:"uses"`
	Run  string `yaml:"run"`
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
				if _, err := os.Stat(filepath.Join(root, job.Uses)); err != nil {
					t.Errorf("%s job %s calls %s, which does not exist", name, jobName, job.Uses)
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
