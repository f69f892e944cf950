package infra

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/githubroles"
	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/test/internal/testenv"
)

// TestOperatorRole: each stage has a read-only operator role, trusted by its own account,
// allowed exactly the actions keel status, logs and releases call (read from their source),
// which are the ones docs/operations.md lists for them; none of them writes.
func TestOperatorRole(t *testing.T) {
	called := actionsCalled(t, "cmd/internal/awsstage", "cmd/keel/status", "cmd/keel/logs", "cmd/keel/releases")
	if got, want := sorted(called), sorted(githubroles.OperatorActions); !slices.Equal(got, want) {
		t.Errorf("the read-only commands call %v\nthe operator role allows %v", got, want)
	}
	if got, want := readmeActions(t, "every day-2 command", "status", "logs", "releases"), sorted(called); !slices.Equal(got, want) {
		t.Errorf("docs/operations.md \"keel and IAM\" lists %v for status, logs and releases\nthey call %v", got, want)
	}
	for _, a := range githubroles.OperatorActions {
		if _, verb, _ := strings.Cut(a, ":"); !regexp.MustCompile(`^(Describe|List|Get|Filter)`).MatchString(verb) {
			t.Errorf("operator action %s is not a read", a)
		}
	}
	a := app(t)
	for _, name := range settings.Names {
		t.Run(name, func(t *testing.T) {
			tp := a.github[name]
			var role map[string]any
			for _, r := range tp.resources("AWS::IAM::Role") {
				if p := r["Properties"].(map[string]any); p["RoleName"] == githubroles.OperatorRoleName(name) {
					role = p
				}
			}
			if role == nil {
				t.Fatalf("no role %s in keel-%s-github", githubroles.OperatorRoleName(name), name)
			}
			trust := jsonOf(get(role, "AssumeRolePolicyDocument", "Statement"))
			if !strings.Contains(trust, `:iam::`+settings.ExampleAccount+`:root"`) || strings.Count(trust, `"Effect"`) != 1 {
				t.Errorf("operator trust = %s, want only the stage's account", trust)
			}
			statements := jsonOf(policy(t, tp, "OperatorDefaultPolicy"))
			for _, action := range githubroles.OperatorActions {
				if !strings.Contains(statements, `"`+action+`"`) {
					t.Errorf("operator policy lacks %s: %s", action, statements)
				}
			}
			if n := len(regexp.MustCompile(`"[a-z0-9-]+:[A-Za-z]+"`).FindAllString(statements, -1)); n != len(githubroles.OperatorActions) {
				t.Errorf("operator policy names %d actions, want the %d of OperatorActions: %s", n, len(githubroles.OperatorActions), statements)
			}
			for _, scoped := range []string{":stack/keel-" + name + "/*", ":stack/keel-" + name + "-foundation/*", ":log-group:keel-" + name + "-*", ":service/keel-" + name + "-*/*", ":s3:::keel-" + name + "-foundation-*/keel/" + name + "/latest.meta"} {
				if !strings.Contains(statements, scoped) {
					t.Errorf("operator policy is not scoped to %s: %s", scoped, statements)
				}
			}
		})
	}
}

// actionsCalled reads the AWS operations the packages call on awsstage's clients.
func actionsCalled(t *testing.T, dirs ...string) []string {
	prefix := map[string]string{"CloudFormation": "cloudformation", "ECS": "ecs", "Logs": "logs", "CloudWatch": "cloudwatch", "ELB": "elasticloadbalancing", "logs": "logs", "S3": "s3"}
	call := regexp.MustCompile(`\.(CloudFormation|ECS|Logs|logs|CloudWatch|ELB|S3)\.([A-Z]\w+)\(|New(\w+)Paginator\(\w+\.(CloudFormation|ECS|Logs|CloudWatch|ELB)\b`)
	seen := map[string]bool{}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(t), dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range call.FindAllStringSubmatch(string(b), -1) {
				if m[1] != "" {
					seen[prefix[m[1]]+":"+m[2]] = true
				} else {
					seen[prefix[m[4]]+":"+m[3]] = true
				}
			}
		}
	}
	var out []string
	for a := range seen {
		out = append(out, a)
	}
	if len(out) == 0 {
		t.Fatalf("found no AWS calls in %v", dirs)
	}
	return out
}

// readmeActions are the actions docs/operations.md's "keel and IAM" table lists for the given rows.
func readmeActions(t *testing.T, rows ...string) []string {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "## keel and IAM")
	if !ok {
		t.Fatal(`docs/operations.md has no "## keel and IAM" section`)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !slices.Contains(rows, strings.Trim(strings.TrimSpace(cells[1]), "`")) {
			continue
		}
		for _, m := range regexp.MustCompile("`([a-z0-9-]+:[A-Za-z]+)`").FindAllStringSubmatch(cells[2], -1) {
			seen[m[1]] = true
		}
	}
	var out []string
	for a := range seen {
		out = append(out, a)
	}
	return sorted(out)
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
