package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// history is a throwaway repository holding the project as it is (the working tree, tracked
// and new files) in a first commit, and a change of it in a second: what a pull request is.
type history struct {
	dir string
}

// newHistory copies the project into a new repository and commits it.
func newHistory(t *testing.T) history {
	t.Helper()
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	dir := filepath.Join(t.TempDir(), "keel")
	files := mustGit(t, root, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
	for _, f := range strings.Split(strings.TrimRight(files, "\x00"), "\x00") {
		if err := copyFile(filepath.Join(root, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	// The CDK CLI as install-tools left it (its lock stamp matches: the same package-lock.json).
	if err := os.Symlink(filepath.Join(root, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	h := history{dir: dir}
	h.git(t, "init", "-q", "-b", "main")
	h.commit(t, "base")
	return h
}

func copyFile(from, to string) error {
	info, err := os.Lstat(from)
	if errors.Is(err, os.ErrNotExist) {
		return nil // deleted in the working tree
	}
	if err != nil || !info.Mode().IsRegular() {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (h history) git(t *testing.T, args ...string) {
	t.Helper()
	env := append(os.Environ(), "GIT_AUTHOR_NAME=keel test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=keel test", "GIT_COMMITTER_EMAIL=test@example.com")
	if out, err := runIn(t, h.dir, env, "git", args...); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func (h history) commit(t *testing.T, message string) {
	t.Helper()
	h.git(t, "add", "-A")
	h.git(t, "commit", "-q", "-m", message)
}

// edit replaces old by new in one file of the repository; old must be there exactly once.
func (h history) edit(t *testing.T, file, old, new string) {
	t.Helper()
	path := filepath.Join(h.dir, file)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once: the test's change no longer applies", file, old, n)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// review runs make review of the second commit against the first, as a developer does.
func (h history) review(t *testing.T, env ...string) (string, error) {
	t.Helper()
	out := filepath.Join(h.dir, "review-comment.md")
	// GOWORK empty: the copy's own go.work, whatever the environment names.
	log, err := runIn(t, h.dir, offlineEnv(append([]string{"GOWORK="}, env...)...), "make", "-s", "review", "BASE=HEAD~1", "REVIEW_OUT="+out)
	comment, _ := os.ReadFile(out)
	return string(comment) + "\n--- log ---\n" + log, err
}

// TestReviewHistoryBlocks: the cases, as a pull request makes them, fail the review:
// the vault reader's IAM user renamed (its access key replaced), the ECS service renamed,
// prod's second NAT gateway dropped (its Elastic IP destroyed), secretsmanager:GetSecretValue
// on * in the execution role, and port 22 open to the internet at the load balancer.
func TestReviewHistoryBlocks(t *testing.T) {
	h := newHistory(t)
	h.edit(t, "infra/foundation/foundation.go", `awsiam.NewUser(scope, jsii.String("Reader")`, `awsiam.NewUser(scope, jsii.String("VaultReader")`)
	h.edit(t, "infra/service/service.go", `	return awsecs.NewFargateService(scope, jsii.String("Service"), sp)`,
		`	td.ObtainExecutionRole().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: jsii.Strings("*")}))
	return awsecs.NewFargateService(scope, jsii.String("WebService"), sp)`)
	h.edit(t, "infra/ingress/ingress.go", "	in := &Ingress{", `	sg.AddIngressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(22)), jsii.String("ssh"), nil)
	in := &Ingress{`)
	h.edit(t, "cdk.json", `"keel:prod": {"database": {"kind": "aurora-serverless-v2"}}`, `"keel:prod": {"database": {"kind": "aurora-serverless-v2"}, "network": {"natGateways": 1}}`)
	h.commit(t, "the issue's changes")
	comment, err := h.review(t)
	if err == nil || !strings.Contains(comment, "review: the guard blocks this change") {
		t.Fatalf("make review: %v, want it blocked\n%s", err, comment)
	}
	for _, want := range []string{
		"The replacement guard blocks this change",
		"The security guard blocks this change",
		"(AWS::IAM::User): will destroy",
		"(AWS::IAM::AccessKey): will replace",
		"(AWS::ECS::Service): will destroy",
		"(AWS::EC2::EIP): will destroy",
		"| + | `role AppTaskExecutionRole",
		"secretsmanager:GetSecretValue` | `*` |",
		"| `tcp` | `22` | `0.0.0.0/0` | **`broadens: open to the internet`**: blocks",
		"AwsSolutions-IAM5[Resource::*]", // the head's cdk-nag finding, listed
	} {
		if !strings.Contains(comment, want) {
			t.Errorf("the review lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("the review:\n%s", comment)
	}
	// The EIP goes in prod alone: dev has no NAT gateway, staging keeps its one.
	if i := strings.Index(comment, "### prod"); i < 0 || strings.Contains(comment[:i], "(AWS::EC2::EIP): will destroy") {
		t.Errorf("an Elastic IP is destroyed outside prod:\n%s", comment)
	}
}

// TestReviewHistoryPasses: narrowing a statement passes, and a change to the usage file is
// priced on each side with that side's own file: prod's natGB 100 → 1000 adds 900 GB × $0.048
// = 43.20 to prod's total (270.61–547.10 → 313.81–590.30 as this test was written).
func TestReviewHistoryPasses(t *testing.T) {
	h := newHistory(t)
	const anchor = `	return awsecs.NewFargateService(scope, jsii.String("Service"), sp)`
	const grant = `	td.ObtainExecutionRole().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: jsii.Strings(%q)}))
`
	h.edit(t, "infra/service/service.go", anchor, fmt.Sprintf(grant, "*")+anchor)
	h.commit(t, "every secret")
	h.edit(t, "infra/service/service.go", fmt.Sprintf(grant, "*"), fmt.Sprintf(grant, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keel/dev/vault-AbCdEf"))
	h.edit(t, "tools/cost/usage.json", `"flowLogGB": 5,   "natGB": 100,`, `"flowLogGB": 5,   "natGB": 1000,`)
	h.commit(t, "one secret; prod's NAT traffic tenfold")
	comment, err := h.review(t)
	if err != nil {
		t.Fatalf("make review: %v\n%s", err, comment)
	}
	for _, want := range []string{
		"Security of `dev/Service`: passes",
		"`arn:aws:secretsmanager:eu-west-1:123456789012:secret:keel/dev/vault-AbCdEf` |  |  | `no wider: base already allowed",
		"| NAT gateway data processed | 4.80 | 48.00 | +43.20 | 4.80 | 48.00 | +43.20 |",
		"change **+43.20 / +43.20**",
	} {
		if !strings.Contains(comment, want) {
			t.Errorf("the review lacks %q", want)
		}
	}
	if strings.Contains(comment, "Security broadenings let through") || strings.Contains(comment, "blocks") {
		t.Errorf("a narrowing blocks")
	}
	if t.Failed() {
		t.Logf("the review:\n%s", comment)
	}
}

// TestReviewHistoryHeadFails: a head that does not synthesize still leaves a comment, which
// replaces the previous review: the error, the earlier figures called stale, the base's alone.
func TestReviewHistoryHeadFails(t *testing.T) {
	h := newHistory(t)
	h.edit(t, "cdk.json", `"keel:staging": {"database": {"kind": "aurora-serverless-v2"}}`, `"keel:staging": {"database": {"kind": "aurora-serverless-v2"}, "scaling": {"minTasks": 0}}`)
	h.commit(t, "no task")
	comment, err := h.review(t)
	if err == nil {
		t.Fatalf("make review passes a head that does not synthesize:\n%s", comment)
	}
	for _, want := range []string{
		"**The head does not synthesize**",
		"are **stale**",
		"keel:staging.scaling.minTasks = 0",
		"review: the head does not synthesize",
	} {
		if !strings.Contains(comment, want) {
			t.Errorf("the review lacks %q:\n%s", want, comment)
		}
	}
	if !regexp.MustCompile(`\| prod \| [0-9]+\.[0-9]{2}–[0-9]+\.[0-9]{2} \|`).MatchString(comment) {
		t.Errorf("the review lacks the base's figures for prod:\n%s", comment)
	}
}

// TestReviewHistoryBudget: a tag added to every resource changes every resource of every
// stack; the comment stays within the budget, its diffs cut and pointing to the full review,
// which holds them whole.
func TestReviewHistoryBudget(t *testing.T) {
	h := newHistory(t)
	const tag = `	awscdk.Tags_Of(st).Add(jsii.String("keel:stage"), jsii.String(s.Name), nil)`
	h.edit(t, "infra/stage/stage.go", tag, tag+`
	awscdk.Tags_Of(st).Add(jsii.String("keel:cost-centre"), jsii.String("platform-engineering-shared-services"), nil)`)
	h.commit(t, "a tag everywhere")
	comment, err := h.review(t)
	if err != nil {
		t.Fatalf("make review: %v\n%s", err, comment)
	}
	text, _ := os.ReadFile(filepath.Join(h.dir, "review-comment.md"))
	full, _ := os.ReadFile(filepath.Join(h.dir, "review-comment-full.md"))
	if len(text) > 60000 || len(text) == 0 {
		t.Errorf("the comment is %d bytes: want some, and at most 60,000 (GitHub refuses 65,536 characters)", len(text))
	}
	if !strings.Contains(string(text), "cut to fit the comment: run make review for the full review") {
		t.Errorf("the comment's diffs are not cut, or the cut does not say where the rest is")
	}
	if len(full) <= len(text) || strings.Contains(string(full), "cut to fit") || !strings.Contains(string(full), "keel:cost-centre") {
		t.Errorf("the full review (%d bytes) is not the whole review (the comment has %d)", len(full), len(text))
	}
	t.Logf("comment %d bytes, full review %d bytes", len(text), len(full))
}
