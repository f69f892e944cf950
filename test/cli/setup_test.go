package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/githubroles"
	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/test/internal/testenv"
)

var (
	apiCall      = regexp.MustCompile(`^gh api --method (GET|PUT|POST|PATCH) (\S+)(?: --input - <<< '(.*)')?`)
	variableCall = regexp.MustCompile(`^gh variable set ([A-Z_]+) (?:--env ([a-z]+) )?--repo (\S+) --body (\S+)$`)
	varsUse      = regexp.MustCompile(`vars\.([A-Z_]+)`)
)

// TestGitHubSetup: scripts/github-setup --dry-run prints every call, and those calls match the
// workflows and the roles: the subject template has exactly the claims the trust policies
// are built from; each environment deploys from main only (prod with reviewers); every
// variable a workflow reads is set where it reads it, and nothing else is; and the subject
// GitHub would issue to each deploy and diff job, derived from the workflows and the claims,
// is the one its role trusts.
func TestGitHubSetup(t *testing.T) {
	root := testenv.RepoRoot(t)
	out, _ := assembly(t)
	log, err := runIn(t, root, offlineEnv("KEEL_ASSEMBLY="+out), "scripts/github-setup", "--dry-run", "--prod-reviewer", "alice")
	if err != nil {
		t.Fatalf("github-setup --dry-run: %v\n%s", err, log)
	}
	repo := repository(t)
	var claims []string
	envs := map[string]map[string]any{}
	mainPolicy := map[string]bool{}
	setVars := map[string]string{} // "<env>/<NAME>" ("/NAME" for the repository) -> value
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if m := apiCall.FindStringSubmatch(line); m != nil {
			var body map[string]any
			if m[3] != "" {
				if err := json.Unmarshal([]byte(m[3]), &body); err != nil {
					t.Fatalf("%s: body is not JSON: %v", line, err)
				}
			}
			switch path := m[2]; {
			case m[1] == "PUT" && path == "repos/"+repo+"/actions/oidc/customization/sub":
				if body["use_default"] != false {
					t.Errorf("the subject template keeps GitHub's default: %s", line)
				}
				for _, c := range body["include_claim_keys"].([]any) {
					claims = append(claims, c.(string))
				}
			case m[1] == "PUT" && strings.HasPrefix(path, "repos/"+repo+"/environments/") && strings.Count(path, "/") == 4:
				envs[filepath.Base(path)] = body
			case m[1] == "POST" && strings.HasSuffix(path, "/deployment-branch-policies"):
				if jsonOf(body) == `{"name":"main","type":"branch"}` {
					mainPolicy[strings.Split(path, "/")[4]] = true
				}
			case m[1] == "GET":
			default:
				t.Errorf("unexpected call: %s", line)
			}
			continue
		}
		if m := variableCall.FindStringSubmatch(line); m != nil {
			if m[3] != repo {
				t.Errorf("%s: another repository", line)
			}
			setVars[m[2]+"/"+m[1]] = m[4]
			continue
		}
		if !strings.HasPrefix(line, "github-setup: done") {
			t.Errorf("not a call: %q", line)
		}
	}

	if !slices.Equal(claims, githubroles.SubjectClaims) || !slices.Equal(claims, []string{"repo", "context", "ref", "job_workflow_ref"}) {
		t.Errorf("subject claims %v, want repo, context, ref, job_workflow_ref (what the trust policies are built from)", claims)
	}
	for _, stage := range settings.Names {
		e := envs[stage]
		if jsonOf(e["deployment_branch_policy"]) != `{"custom_branch_policies":true,"protected_branches":false}` || !mainPolicy[stage] {
			t.Errorf("environment %s: %s, main policy %t: want deployments from main only", stage, jsonOf(e), mainPolicy[stage])
		}
		reviewers, _ := e["reviewers"].([]any)
		if (stage == "prod") != (len(reviewers) > 0) {
			t.Errorf("environment %s has reviewers %v: prod, and only prod, needs them", stage, reviewers)
		}
	}

	// Variables: each deploy job reads its environment's, the diff workflow the repository's.
	used := map[string]bool{}
	for file, scope := range map[string][]string{githubroles.DeployWorkflow: settings.Names, githubroles.DiffWorkflow: {""}} {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range varsUse.FindAllStringSubmatch(string(b), -1) {
			for _, env := range scope {
				used[env+"/"+m[1]] = true
			}
		}
	}
	for key := range used {
		if setVars[key] == "" {
			t.Errorf("variable %s is read by a workflow but github-setup does not set it", key)
		}
	}
	for key := range setVars {
		if !used[key] {
			t.Errorf("github-setup sets %s, which no workflow reads there", key)
		}
	}

	// The subjects GitHub issues with these claims, from the workflows, against the trust.
	pr, deploy := readWorkflow(t, "pull-request.yml"), readWorkflow(t, "deploy.yml")
	diffRef := strings.Replace(pr.Jobs["diff"].Uses, "@"+githubroles.Branch, "@refs/heads/"+githubroles.Branch, 1)
	for _, stage := range settings.Names {
		deployRef := repo + "/" + strings.TrimPrefix(deploy.Jobs[stage].Uses, "./") + "@refs/heads/main" // a push to main runs a local workflow at that ref
		want := map[string]string{
			// The deploy runs for a push to main; the diff for a pull request (its merge ref,
			// any number: the trust matches it with StringLike).
			fmt.Sprintf("keel-%s-github-deploy", stage): subjectFrom(claims, repo, "environment:"+stage, "refs/heads/main", deployRef),
			fmt.Sprintf("keel-%s-github-diff", stage):   subjectFrom(claims, repo, "pull_request", "refs/pull/*/merge", diffRef),
		}
		for role, sub := range trustedSubjects(t, out, stage) {
			if want[role] != sub {
				t.Errorf("role %s trusts %q; the workflows and the subject template give %q", role, sub, want[role])
			}
			if strings.Contains(role, "deploy") && setVars[stage+"/DEPLOY_ROLE_ARN"] != "arn:aws:iam::123456789012:role/"+role {
				t.Errorf("%s DEPLOY_ROLE_ARN = %q, want role %s", stage, setVars[stage+"/DEPLOY_ROLE_ARN"], role)
			}
		}
	}
}

// subjectFrom builds a subject the way GitHub does from the template's claim keys.
func subjectFrom(claims []string, repo, context, ref, jobWorkflowRef string) string {
	parts := make([]string, 0, len(claims))
	for _, c := range claims {
		switch c {
		case "repo":
			parts = append(parts, "repo:"+repo)
		case "context":
			parts = append(parts, context)
		case "ref":
			parts = append(parts, "ref:"+ref)
		case "job_workflow_ref":
			parts = append(parts, "job_workflow_ref:"+jobWorkflowRef)
		default:
			parts = append(parts, c+":?")
		}
	}
	return strings.Join(parts, ":")
}

// trustedSubjects reads each role's sub condition from the stage's synthesized GitHub stack.
func trustedSubjects(t *testing.T, out, stage string) map[string]string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(out, "assembly-"+stage, stage+"GitHub*.template.json"))
	if len(paths) != 1 {
		t.Fatalf("no %s GitHub template in %s", stage, out)
	}
	b, _ := os.ReadFile(paths[0])
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				RoleName                 string
				AssumeRolePolicyDocument struct {
					Statement []struct {
						Condition map[string]map[string]string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	subs := map[string]string{}
	for _, r := range tmpl.Resources {
		if r.Type == "AWS::IAM::Role" {
			for _, s := range r.Properties.AssumeRolePolicyDocument.Statement {
				sub := s.Condition["StringEquals"]["token.actions.githubusercontent.com:sub"]
				if sub == "" {
					sub = s.Condition["StringLike"]["token.actions.githubusercontent.com:sub"]
				}
				if sub != "" { // the operator role trusts the account, not GitHub
					subs[r.Properties.RoleName] = sub
				}
			}
		}
	}
	if len(subs) != 2 {
		t.Fatalf("%s GitHub stack: roles %v, want the deploy and diff roles", stage, subs)
	}
	return subs
}

// TestGitHubSetupNeedsReviewer: without a prod reviewer nothing is called.
func TestGitHubSetupNeedsReviewer(t *testing.T) {
	log, err := runIn(t, testenv.RepoRoot(t), offlineEnv(), "scripts/github-setup", "--dry-run")
	if err == nil || !strings.Contains(log, "--prod-reviewer") || strings.Contains(log, "gh api") {
		t.Errorf("github-setup without a reviewer: %v\n%s", err, log)
	}
}

// TestBootstrapDryRun: make bootstrap deploys the policies stack, then runs cdk bootstrap with
// the stage's qualifier and toolkit stack, every execution policy of that stack, and its
// boundary, all read from the assembly.
func TestBootstrapDryRun(t *testing.T) {
	out, _ := assembly(t)
	checkBootstrapDryRun(t, out, "CDK_APP="+out)
}

// TestBootstrapDryRunDocumented runs the form the README and make help document, which
// synthesizes the bootstrap stack itself. It once exited 2 with "--app is required": the
// Makefile handed CDK_APP=” and CDK to the CDK CLI, which reads every CDK_* variable as an
// option. CDK_OUT only keeps the synthesized assembly out of the checkout.
func TestBootstrapDryRunDocumented(t *testing.T) {
	out := t.TempDir()
	checkBootstrapDryRun(t, out, "CDK_OUT="+out)
}

func checkBootstrapDryRun(t *testing.T, out string, makeArgs ...string) {
	t.Helper()
	args := append([]string{"-s", "bootstrap", "STAGE=staging", "DRY_RUN=1"}, makeArgs...)
	log, err := runIn(t, testenv.RepoRoot(t), offlineEnv("CDK_VALIDATION=false"), "make", args...)
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, log)
	}
	paths, _ := filepath.Glob(filepath.Join(out, "assembly-staging", "stagingBootstrap*.template.json"))
	if len(paths) != 1 {
		t.Fatalf("make %s: want one staging bootstrap template in %s, found %v\n%s", strings.Join(args, " "), out, paths, log)
	}
	b, _ := os.ReadFile(paths[0])
	var policies []string
	for _, name := range regexp.MustCompile(`"ManagedPolicyName": "(keel-staging-cfn-execution-\d+)"`).FindAllStringSubmatch(string(b), -1) {
		policies = append(policies, "--cloudformation-execution-policies arn:aws:iam::123456789012:policy/"+name[1])
	}
	sort.Strings(policies)
	if len(policies) == 0 {
		t.Fatalf("no execution policy in %s", paths[0])
	}
	want := []string{
		"+ node_modules/.bin/cdk deploy --app " + out + " staging/Bootstrap --no-notices",
		"+ node_modules/.bin/cdk bootstrap aws://123456789012/eu-west-1 --no-notices --qualifier keelstg --toolkit-stack-name CDKToolkit-keelstg " +
			strings.Join(policies, " ") + " --custom-permissions-boundary keel-staging-boundary --termination-protection --template " + filepath.Join(out, "keel-bootstrap-template.json"),
	}
	if got := strings.Split(strings.TrimSpace(log), "\n"); !slices.Equal(got, want) {
		t.Errorf("make bootstrap printed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
