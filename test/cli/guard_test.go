package cli

import (
	"encoding/json"
	"errors"
	"fmt"
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
		{"database replaced", func(r map[string]any) {
			_, db := resourceOf(r, "AWS::RDS::DBInstance")
			db["Properties"].(map[string]any)["DBInstanceIdentifier"] = "keel-dev-2"
		}, false, 1, "AWS::RDS::DBInstance): will replace"},
		{"database resized", func(r map[string]any) {
			_, db := resourceOf(r, "AWS::RDS::DBInstance")
			db["Properties"].(map[string]any)["AllocatedStorage"] = "50"
		}, false, 0, "no stateful"},
		{"database subnet group removed", func(r map[string]any) {
			id, _ := resourceOf(r, "AWS::RDS::DBSubnetGroup")
			delete(r, id)
		}, false, 1, "AWS::RDS::DBSubnetGroup): will destroy"},
		{"database key removed", func(r map[string]any) {
			id, _ := resourceOf(r, "AWS::KMS::Key")
			delete(r, id)
		}, false, 1, "AWS::KMS::Key): will destroy"},
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

// standIn writes an executable script named name into dir.
func standIn(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// ciDiffRun runs scripts/ci-diff dev in a fresh directory holding an assembly with the dev
// golden template (mutated), with stand-ins for the AWS CLI (answering get-template as given)
// and the CDK CLI (printing a diff full of backtick runs) first on PATH.
type ciDiffRun struct {
	dir, out string
	err      error
}

// fakeDiff is the stand-in CDK CLI's diff: its text carries a run of five backticks, as a
// template string could.
const fakeDiff = `echo "cdk $*" >> "$PWD/cdk-calls"; printf 'Stack dev/Service (keel-dev)\n[~] Description: ` + "```` ``` `````" + ` end\n' >&2`

func runCIDiff(t *testing.T, awsScript string, mutate func(map[string]any)) ciDiffRun {
	t.Helper()
	return runCIDiffWith(t, awsScript, fakeDiff, mutate)
}

func runCIDiffWith(t *testing.T, awsScript, cdkScript string, mutate func(map[string]any)) ciDiffRun {
	t.Helper()
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/@aws-cdk/cloudformation-diff/package.json", "scripts/install-tools cdk")
	dir, bin := t.TempDir(), t.TempDir()
	golden, err := os.ReadFile(filepath.Join(root, "test", "infra", "testdata", "dev.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	_ = json.Unmarshal(golden, &tmpl)
	if mutate != nil {
		mutate(tmpl["Resources"].(map[string]any))
	}
	b, _ := json.Marshal(tmpl)
	os.MkdirAll(filepath.Join(dir, "cdk.out", "assembly-dev"), 0o755)
	os.WriteFile(filepath.Join(dir, "cdk.out", "assembly-dev", "devService694531C0.template.json"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "deployed.json"), golden, 0o644)
	standIn(t, bin, "aws", awsScript)
	standIn(t, bin, "cdk", cdkScript)
	cmd := exec.Command(filepath.Join(root, "scripts", "ci-diff"), "dev")
	cmd.Dir = dir
	cmd.Env = append(offlineEnv(), "PATH="+bin+":"+os.Getenv("PATH"), "KEEL_CDK=cdk", "KEEL_ASSEMBLY=cdk.out")
	out, err := cmd.CombinedOutput()
	return ciDiffRun{dir: dir, out: string(out), err: err}
}

func (r ciDiffRun) file(name string) string {
	b, _ := os.ReadFile(filepath.Join(r.dir, name))
	return string(b)
}

// TestCIDiffFailsClosed: only CloudFormation's "does not exist" makes a stack new; AccessDenied
// and throttling fail the job with nothing appended; a deployed stack is diffed offline against
// the template the diff role read, and the guard's verdict is recorded.
func TestCIDiffFailsClosed(t *testing.T) {
	const missing = `echo "An error occurred (ValidationError) when calling the GetTemplate operation: Stack with id keel-dev does not exist" >&2; exit 254`
	for _, tt := range []struct {
		name, aws, want string
	}{
		{"access denied", `echo "An error occurred (AccessDenied) when calling the GetTemplate operation: User: arn:aws:sts::123456789012:assumed-role/keel-dev-github-diff/x is not authorized to perform: cloudformation:GetTemplate" >&2; exit 254`, "AccessDenied"},
		{"throttled", `echo "An error occurred (Throttling) when calling the GetTemplate operation: Rate exceeded" >&2; exit 254`, "Throttling"},
		{"another stack missing", `echo "An error occurred (ValidationError) when calling the GetTemplate operation: Stack with id keel-staging does not exist" >&2; exit 254`, "keel-staging does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCIDiff(t, tt.aws, nil)
			if r.err == nil || !strings.Contains(r.out, "cannot read the deployed template of keel-dev") || !strings.Contains(r.out, tt.want) {
				t.Fatalf("ci-diff: %v\n%s\nwant a failure that shows the error", r.err, r.out)
			}
			if r.file("diff-verdicts") != "" || r.file("diff-comment.md") != "" || r.file("cdk-calls") != "" {
				t.Errorf("a failed read still produced a verdict, a comment or a diff")
			}
		})
	}
	t.Run("cdk fails with AccessDenied", func(t *testing.T) {
		r := runCIDiffWith(t, `cat "$PWD/deployed.json"`, `echo "AccessDenied: User is not authorized to perform: sts:AssumeRole" >&2; exit 1`, nil)
		if r.err == nil || !strings.Contains(r.out, "cdk diff of dev failed") || !strings.Contains(r.out, "AccessDenied") {
			t.Fatalf("ci-diff: %v\n%s\nwant a failure that shows the CLI's error", r.err, r.out)
		}
		if r.file("diff-verdicts") != "" || r.file("diff-comment.md") != "" {
			t.Errorf("a failed diff still produced a verdict or a comment")
		}
	})
	t.Run("does not exist", func(t *testing.T) {
		r := runCIDiff(t, missing, nil)
		if r.err != nil {
			t.Fatalf("ci-diff: %v\n%s", r.err, r.out)
		}
		if got := r.file("diff-verdicts"); got != "dev pass\n" {
			t.Errorf("verdicts %q, want dev pass", got)
		}
		if c := r.file("diff-comment.md"); !strings.Contains(c, "### dev (not deployed yet") {
			t.Errorf("comment does not say the stack is new:\n%s", c)
		}
		if calls := r.file("cdk-calls"); !strings.Contains(calls, "diff --app cdk.out dev/Service --template ") || strings.Contains(calls, "lookup") {
			t.Errorf("cdk called as %q, want an offline diff against the read template", calls)
		}
	})
	t.Run("deployed, cluster destroyed", func(t *testing.T) {
		r := runCIDiff(t, `cat "$PWD/deployed.json"`, func(res map[string]any) {
			for id, v := range res {
				if v.(map[string]any)["Type"] == "AWS::ECS::Cluster" {
					delete(res, id)
				}
			}
		})
		if r.err != nil {
			t.Fatalf("ci-diff: %v\n%s", r.err, r.out)
		}
		if got := r.file("diff-verdicts"); got != "dev fail\n" {
			t.Errorf("verdicts %q, want dev fail", got)
		}
		c := r.file("diff-comment.md")
		if !strings.Contains(c, "### dev (deployed)") || !strings.Contains(c, "AWS::ECS::Cluster): will destroy") {
			t.Errorf("comment lacks the verdict:\n%s", c)
		}
		// The diff (five backticks in a row) sits in a fence of six: it cannot close it.
		if !strings.Contains(c, "``````\nStack dev/Service") || strings.Count(c, "``````\n") != 2 {
			t.Errorf("the diff is not fenced longer than its longest backtick run:\n%s", c)
		}
	})
}

// TestCIGuard: the guard step fails on a failed verdict (unless allowed) and on a missing one.
func TestCIGuard(t *testing.T) {
	root := testenv.RepoRoot(t)
	for _, tt := range []struct {
		verdicts string
		allow    bool
		fails    bool
	}{
		{"dev pass\nstaging pass\nprod pass\n", false, false},
		{"dev pass\nstaging fail\nprod pass\n", false, true},
		{"dev pass\nstaging fail\nprod pass\n", true, false},
		{"dev pass\nstaging pass\n", false, true},
		{"", false, true},
	} {
		dir := t.TempDir()
		if tt.verdicts != "" {
			os.WriteFile(filepath.Join(dir, "diff-verdicts"), []byte(tt.verdicts), 0o644)
		}
		out, err := runIn(t, dir, offlineEnv(fmt.Sprintf("ALLOW_REPLACEMENT=%t", tt.allow)), "make", "-s", "-f", filepath.Join(root, "Makefile"), "ci-guard")
		if (err != nil) != tt.fails {
			t.Errorf("verdicts %q allow %t: err %v, want failure %t\n%s", tt.verdicts, tt.allow, err, tt.fails, out)
		}
	}
}

// TestHeadOfMain: a run deploys only while its commit is the head of main, and fails when it
// cannot tell (a stand-in gh answers the GitHub API).
func TestHeadOfMain(t *testing.T) {
	root := testenv.RepoRoot(t)
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, tt := range []struct {
		name, gh, want string
		fails          bool
	}{
		{"head", "echo " + sha, "deploy=true\n", false},
		{"superseded", "echo fedcba9876543210fedcba9876543210fedcba98", "deploy=false\n", false},
		{"api error", "echo 'HTTP 401: Bad credentials' >&2; exit 1", "", true},
		{"not a commit", "echo '<html>'", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bin, dir := t.TempDir(), t.TempDir()
			standIn(t, bin, "gh", `[ "$*" = "api repos/keelstack/keel/git/ref/heads/main --jq .object.sha" ] || { echo "unexpected gh $*" >&2; exit 3; }`+"\n"+tt.gh)
			output := filepath.Join(dir, "output")
			out, err := runIn(t, root, offlineEnv("PATH="+bin+":"+os.Getenv("PATH"), "GITHUB_REPOSITORY=keelstack/keel", "GITHUB_SHA="+sha, "GITHUB_OUTPUT="+output),
				"make", "-s", "head-of-main")
			got, _ := os.ReadFile(output)
			if (err != nil) != tt.fails || string(got) != tt.want {
				t.Errorf("err %v, output %q; want failure %t, output %q\n%s", err, got, tt.fails, tt.want, out)
			}
		})
	}
}

// TestDiffGuardCoverage: every type whose replacement or deletion loses data, identity or
// reachability fails the guard when its resource is renamed (a new logical ID: CloudFormation
// creates the new one and deletes the old), and when a property that forces a replacement
// changes.
func TestDiffGuardCoverage(t *testing.T) {
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/@aws-cdk/cloudformation-diff/package.json", "scripts/install-tools cdk")
	dir := t.TempDir()
	write := func(name string, resources map[string]any) string {
		b, _ := json.Marshal(map[string]any{"Resources": resources})
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	guard := func(from, to string) (int, string) {
		cmd := exec.Command("node", filepath.Join(root, "scripts", "diff-guard.mjs"), from, to)
		cmd.Env = append(os.Environ(), "ALLOW_REPLACEMENT=false")
		out, err := cmd.CombinedOutput()
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	type props = map[string]any
	for _, tt := range []struct {
		typ           string
		props         props
		replacing     string // a property whose change replaces the resource
		before, after any
	}{
		{"AWS::IAM::User", props{"UserName": "keel-dev-vault-reader"}, "UserName", "keel-dev-vault-reader", "keel-dev-reader"},
		{"AWS::IAM::AccessKey", props{"UserName": "keel-dev-vault-reader"}, "UserName", "keel-dev-vault-reader", "keel-dev-reader"},
		{"AWS::ECS::Service", props{"Cluster": "keel", "ServiceName": "app"}, "ServiceName", "app", "web"},
		{"AWS::EC2::EIP", props{"Domain": "vpc"}, "", nil, nil},
		{"AWS::ElasticLoadBalancingV2::TargetGroup", props{"Port": 8080, "Protocol": "HTTP", "VpcId": "vpc-1"}, "Port", 8080, 8081},
		{"AWS::Route53::RecordSet", props{"Name": "keel.example.com", "Type": "A", "HostedZoneId": "Z1"}, "Name", "keel.example.com", "app.example.com"},
		{"AWS::SNS::Topic", props{"TopicName": "keel-alarms"}, "TopicName", "keel-alarms", "keel-pages"},
		{"AWS::ElasticLoadBalancingV2::Listener", props{"LoadBalancerArn": "arn:lb", "Port": 443}, "LoadBalancerArn", "arn:lb", "arn:lb2"},
		{"AWS::CertificateManager::Certificate", props{"DomainName": "keel.example.com"}, "DomainName", "keel.example.com", "app.example.com"},
		{"AWS::KMS::Key", props{"KeySpec": "SYMMETRIC_DEFAULT"}, "", nil, nil},
		{"AWS::SecretsManager::Secret", props{"Name": "keel/dev/vault"}, "Name", "keel/dev/vault", "keel/dev/vault2"},
		{"AWS::RDS::DBCluster", props{"Engine": "aurora-postgresql"}, "DBClusterIdentifier", "keel", "keel2"},
		{"AWS::RDS::DBInstance", props{"Engine": "postgres", "DBInstanceClass": "db.t4g.micro"}, "DBInstanceIdentifier", "keel", "keel2"},
		{"AWS::WAFv2::WebACL", props{"Scope": "REGIONAL", "Name": "keel"}, "Name", "keel", "keel2"},
		{"AWS::Logs::LogGroup", props{"LogGroupName": "keel"}, "LogGroupName", "keel", "keel2"},
		{"AWS::S3::Bucket", props{"BucketName": "keel"}, "BucketName", "keel", "keel2"},
		{"AWS::IAM::Role", props{"RoleName": "keel"}, "RoleName", "keel", "keel2"},
		{"AWS::EC2::VPC", props{"CidrBlock": "10.0.0.0/16"}, "CidrBlock", "10.0.0.0/16", "10.1.0.0/16"},
		{"AWS::ECS::Cluster", props{"ClusterName": "keel"}, "ClusterName", "keel", "keel2"},
		{"AWS::ElasticLoadBalancingV2::LoadBalancer", props{"Name": "keel"}, "Name", "keel", "keel2"},
		{"AWS::IAM::OIDCProvider", props{"Url": "https://token.actions.githubusercontent.com"}, "Url", "https://token.actions.githubusercontent.com", "https://example.com"},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			name := strings.ReplaceAll(tt.typ, "::", "")
			base := write(name+"-base", map[string]any{"Old": map[string]any{"Type": tt.typ, "Properties": tt.props}})
			renamed := write(name+"-renamed", map[string]any{"New": map[string]any{"Type": tt.typ, "Properties": tt.props}})
			if code, out := guard(base, renamed); code != 1 || !strings.Contains(out, "Old ("+tt.typ+"): will destroy") {
				t.Errorf("renamed: exit %d, want 1 naming Old:\n%s", code, out)
			}
			if code, out := guard(base, base); code != 0 {
				t.Errorf("unchanged: exit %d:\n%s", code, out)
			}
			if tt.replacing == "" {
				return
			}
			with := func(v any) map[string]any {
				p := map[string]any{}
				for k, x := range tt.props {
					p[k] = x
				}
				p[tt.replacing] = v
				return map[string]any{"Old": map[string]any{"Type": tt.typ, "Properties": p}}
			}
			if code, out := guard(write(name+"-before", with(tt.before)), write(name+"-after", with(tt.after))); code != 1 || !strings.Contains(out, "Old ("+tt.typ+"): ") {
				t.Errorf("%s changed: exit %d, want 1 naming Old:\n%s", tt.replacing, code, out)
			}
		})
	}
}
