package cli

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestMakeReview is the offline review end to end, as a developer runs it: the working tree
// against HEAD, synthesized twice with no AWS credentials.
func TestMakeReview(t *testing.T) {
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	out := filepath.Join(t.TempDir(), "review.md")
	worktrees := mustGit(t, root, "worktree", "list", "--porcelain")
	log, err := runIn(t, root, offlineEnv(), "make", "-s", "review", "BASE=HEAD", "REVIEW_OUT="+out)
	if err != nil {
		t.Fatalf("make review BASE=HEAD: %v\n%s", err, log)
	}
	comment, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"dev", "staging", "prod"} {
		for _, want := range []string{"### " + stage, "Guard on `" + stage + "/Service`: passes", "Template diff: " + stage + "/Service", "Cost (USD/month"} {
			if !strings.Contains(string(comment), want) {
				t.Errorf("the review lacks %q:\n%s", want, comment)
			}
		}
	}
	if after := mustGit(t, root, "worktree", "list", "--porcelain"); worktreePaths(after) != worktreePaths(worktrees) {
		t.Errorf("make review left a worktree behind:\n%s", after)
	}
	log, err = runIn(t, root, offlineEnv(), "make", "-s", "review", "BASE=no-such-revision", "REVIEW_OUT="+out)
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || !strings.Contains(log, "BASE=no-such-revision is not a commit") {
		t.Errorf("make review with an unknown BASE: %v\n%s", err, log)
	}
}

// worktreePaths keeps the paths of git worktree list --porcelain (their commits move).
func worktreePaths(list string) string {
	var paths []string
	for _, line := range strings.Split(list, "\n") {
		if p, ok := strings.CutPrefix(line, "worktree "); ok {
			paths = append(paths, p)
		}
	}
	return strings.Join(paths, "\n")
}

func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := runIn(t, dir, nil, "git", args...)
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return out
}

// TestReviewOfChanges reviews changed copies of one synthesized assembly: the diff, the guard's
// verdict and the cost change are all in the comment, and a stateful replacement fails the
// review unless the change is labelled allow-replacement.
func TestReviewOfChanges(t *testing.T) {
	root := testenv.RepoRoot(t)
	base, _ := assembly(t) // make synth's, shared by this binary's tests
	dir := t.TempDir()
	review := filepath.Join(dir, "keel")
	if log, err := runIn(t, root, nil, "go", "build", "-o", review, "./cmd/keel"); err != nil {
		t.Fatalf("build review: %v\n%s", err, log)
	}
	var extra []string // more arguments for the next run
	run := func(head string, env ...string) (string, error) {
		out := filepath.Join(dir, "comment.md")
		args := append([]string{"--base", base, "--head", head, "--out", out}, extra...)
		log, err := runIn(t, root, append(offlineEnv(), env...), review, append([]string{"review"}, args...)...)
		comment, _ := os.ReadFile(out)
		return string(comment) + log, err
	}

	bigger := changedCopy(t, base, dir, "bigger", func(r map[string]any) {
		_, task := resourceOfType(t, r, "AWS::ECS::TaskDefinition")
		task["Properties"].(map[string]any)["Cpu"] = "512"
	})
	comment, err := run(bigger)
	if err != nil {
		t.Fatalf("a task-size change fails the review: %v\n%s", err, comment)
	}
	for _, want := range []string{
		"[~] AWS::ECS::TaskDefinition",                                             // the CDK's diff
		"Guard on `dev/Service`: passes",                                           // the guard's verdict
		"| Fargate vCPU (ARM64) | 5.91 | 11.82 | +5.91 | 11.82 | 23.64 | +11.82 |", // 0.25 → 0.5 vCPU × 730 h × $0.03238
		"change **+5.91 / +11.82**",
	} {
		if !strings.Contains(comment, want) {
			t.Errorf("the review lacks %q:\n%s", want, comment)
		}
	}

	destroyed := changedCopy(t, base, dir, "destroyed", func(r map[string]any) {
		id, lg := resourceOfType(t, r, "AWS::Logs::LogGroup")
		delete(r, id)
		r["Renamed"+id] = lg
	})
	comment, err = run(destroyed)
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("a destroyed log group passes the review: %v\n%s", err, comment)
	}
	for _, want := range []string{"The replacement guard blocks this change", "Guard on `dev/Service`: **blocks**", "(AWS::Logs::LogGroup): will destroy"} {
		if !strings.Contains(comment, want) {
			t.Errorf("the blocked review lacks %q:\n%s", want, comment)
		}
	}
	comment, err = run(destroyed, "ALLOW_REPLACEMENT=true")
	if err != nil || !strings.Contains(comment, "allowed by the allow-replacement label") {
		t.Errorf("allow-replacement does not let the review pass: %v\n%s", err, comment)
	}
	if banner, _, _ := strings.Cut(comment, "### dev"); !strings.Contains(banner, "ALLOW_REPLACEMENT=true let through") || !strings.Contains(banner, "(AWS::Logs::LogGroup): will destroy") {
		t.Errorf("the top of the review does not name what allow-replacement let through:\n%s", banner)
	}

	everySecret := changedCopy(t, base, dir, "every-secret", func(r map[string]any) {
		policy := r["AppTaskExecutionRoleDefaultPolicy18E0EADE"].(map[string]any)["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
		policy["Statement"] = append(policy["Statement"].([]any), map[string]any{"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": "*"})
	})
	comment, err = run(everySecret)
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(comment, "| `secretsmanager:GetSecretValue` | `*` |") ||
		!strings.Contains(comment, "The security guard blocks this change") {
		t.Errorf("secretsmanager:GetSecretValue on * in the execution role passes the review: %v\n%s", err, comment)
	}

	ssh := changedCopy(t, base, dir, "ssh", func(r map[string]any) {
		r["Ssh"] = map[string]any{"Type": "AWS::EC2::SecurityGroupIngress", "Properties": map[string]any{
			"GroupId": map[string]any{"Fn::GetAtt": []any{"IngressLoadBalancerSecurityGroupDB5E20A8", "GroupId"}},
			"CidrIp":  "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
		}}
	})
	comment, err = run(ssh)
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(comment, "The security guard blocks this change") {
		t.Fatalf("port 22 open to the internet passes the review: %v\n%s", err, comment)
	}
	id := regexp.MustCompile("`22` \\| `0.0.0.0/0` \\| .*id `([0-9a-f]{12})`").FindStringSubmatch(comment)
	if id == nil {
		t.Fatalf("no finding ID for port 22:\n%s", comment)
	}
	comment, err = run(ssh, "ALLOW_BROADENING=true")
	if banner, _, _ := strings.Cut(comment, "### dev"); err != nil || !strings.Contains(banner, "Security broadenings let through") || !strings.Contains(banner, "label allow-broadening") {
		t.Errorf("allow-broadening: %v; the top of the review does not name what it let through:\n%s", err, banner)
	}
	allowlist := filepath.Join(dir, "review-allowlist.json")
	_ = os.WriteFile(allowlist, []byte(`{"allow": [{"id": "`+id[1]+`", "reason": "the bastion's port while we move to Session Manager"}]}`), 0o644)
	extra = []string{"--allowlist", allowlist}
	comment, err = run(ssh)
	if banner, _, _ := strings.Cut(comment, "### dev"); err != nil || !strings.Contains(banner, "allowlist: the bastion's port while we move to Session Manager") {
		t.Errorf("an allowlist entry: %v; the top of the review does not show it:\n%s", err, banner)
	}
	_ = os.WriteFile(allowlist, []byte(`{"allow": [{"id": "`+id[1]+`", "reason": ""}]}`), 0o644)
	if comment, err = run(ssh); err == nil || !strings.Contains(comment, "has no reason") {
		t.Errorf("an allowlist entry without a reason is accepted: %v\n%s", err, comment)
	}
}

// changedCopy copies the assembly and changes dev's service template.
func changedCopy(t *testing.T, assembly, dir, name string, mutate func(resources map[string]any)) string {
	t.Helper()
	out := filepath.Join(dir, name+".out")
	if err := os.CopyFS(out, os.DirFS(assembly)); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(out, "assembly-dev", "devService*.template.json"))
	if len(files) != 1 {
		t.Fatalf("no dev service template in %s", out)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	mutate(tmpl["Resources"].(map[string]any))
	b, _ = json.Marshal(tmpl)
	if err := os.WriteFile(files[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func resourceOfType(t *testing.T, resources map[string]any, typ string) (string, map[string]any) {
	t.Helper()
	// In logical-ID order: the service's task definition (AppTask...) before the database's.
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		if r := resources[id].(map[string]any); r["Type"] == typ {
			return id, r
		}
	}
	t.Fatalf("no %s", typ)
	return "", nil
}

// TestReviewWorkflows: the review runs for forks with no way to AWS credentials, and the job
// that may comment runs none of the pull request's code.
func TestReviewWorkflows(t *testing.T) {
	root := testenv.RepoRoot(t)
	type workflow struct {
		On          map[string]any    `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Permissions map[string]string `yaml:"permissions"`
			Steps       []struct {
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	read := func(name string) workflow {
		b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	review := read("review.yml")
	if _, ok := review.On["pull_request"]; !ok || len(review.On) != 1 {
		t.Errorf("review.yml runs on %v, want pull_request only (never pull_request_target: it runs the pull request's code)", review.On)
	}
	if len(review.Permissions) != 1 || review.Permissions["contents"] != "read" {
		t.Errorf("review.yml permissions %v, want contents: read only", review.Permissions)
	}
	var reviews bool
	for name, job := range review.Jobs {
		if len(job.Permissions) > 0 {
			t.Errorf("review.yml job %s widens its permissions: %v", name, job.Permissions)
		}
		for _, s := range job.Steps {
			if strings.Contains(s.Uses, "configure-aws-credentials") || strings.Contains(s.Uses, "diff-stage") {
				t.Errorf("review.yml job %s asks for AWS credentials (%s)", name, s.Uses)
			}
			if strings.Contains(s.Uses, "actions/checkout") && s.With["persist-credentials"] != "false" {
				t.Errorf("review.yml leaves the job token in .git/config for the pull request's code")
			}
			reviews = reviews || strings.HasPrefix(s.Run, "make review ")
		}
	}
	if !reviews {
		t.Error("review.yml does not run make review")
	}
	comment := read("review-comment.yml")
	if _, ok := comment.On["workflow_run"]; !ok {
		t.Errorf("review-comment.yml runs on %v, want workflow_run", comment.On)
	}
	for name, job := range comment.Jobs {
		for _, s := range job.Steps {
			if strings.Contains(s.Uses, "actions/checkout") && (s.With["ref"] != "" || s.With["repository"] != "") {
				t.Errorf("review-comment.yml job %s checks out %v: it must run the default branch's code only", name, s.With)
			}
			if s.Run != "" && s.Run != "make review-pr" {
				t.Errorf("review-comment.yml job %s runs %q: only make review-pr belongs there", name, s.Run)
			}
		}
	}
}

// TestReviewPR: the pull request comes from GitHub's record of the run, checked; a stand-in gh
// answers as the REST API does.
func TestReviewPR(t *testing.T) {
	root := testenv.RepoRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	_ = os.Mkdir(bin, 0o755)
	// The stand-in prints what the real gh prints for the --jq filter: the number, or nothing.
	gh := "#!/bin/sh\necho \"$*\" >> \"" + filepath.Join(dir, "gh-calls") + "\"\nprintf '%s' \"$GH_ANSWER\"\n"
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(gh), 0o755); err != nil {
		t.Fatal(err)
	}
	commentFile := filepath.Join(dir, "review-comment.md")
	_ = os.WriteFile(commentFile, []byte("## keel review\n"), 0o644)
	sha := strings.Repeat("a1", 20)
	for _, tt := range []struct {
		name, sha, answer, want string
		ok                      bool
	}{
		{"found", sha, "42", "number=42", true},
		{"pushed again since", sha, "", "no open pull request from fork:feature", false},
		{"not a commit id", "main; rm -rf /", "42", "HEAD_SHA is not a commit id", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			output := filepath.Join(dir, tt.name+".out")
			env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "GITHUB_OUTPUT="+output, "REVIEW_COMMENT="+commentFile,
				"REPO=keelstack/keel", "HEAD_OWNER=fork", "HEAD_BRANCH=feature", "HEAD_SHA="+tt.sha, "GH_ANSWER="+tt.answer)
			log, err := runIn(t, root, env, "scripts/review-pr")
			got, _ := os.ReadFile(output)
			if tt.ok != (err == nil) || !strings.Contains(log+string(got), tt.want) {
				t.Errorf("review-pr: %v\n%s%s\nwant ok=%v and %q", err, log, got, tt.ok, tt.want)
			}
		})
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "gh-calls"))
	if strings.Count(string(calls), "\n") != 2 || !strings.Contains(string(calls), "head=fork:feature") {
		t.Errorf("gh was called %q: want two look-ups by head, none for a bad commit id", calls)
	}
}
