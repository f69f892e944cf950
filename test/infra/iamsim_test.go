package infra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// simRequest is one request for scripts/iam-eval.mjs, which runs @cloud-copilot/iam-simulate
// (a test-only devDependency) over identity policies and permissions boundaries.
type simRequest struct {
	Name             string         `json:"name"`
	Principal        string         `json:"principal"`
	Action           string         `json:"action"`
	Resource         string         `json:"resource"`
	AccountID        string         `json:"accountId"`
	Context          map[string]any `json:"context,omitempty"`
	IdentityPolicies []namedPolicy  `json:"identityPolicies"`
	Boundaries       []namedPolicy  `json:"boundaries,omitempty"`
	ResourcePolicy   any            `json:"resourcePolicy,omitempty"`
}

type namedPolicy struct {
	Name   string `json:"name"`
	Policy any    `json:"policy"`
}

// simResult: Allowed, ExplicitlyDenied, ImplicitlyDenied, or Error (the simulator could not
// evaluate the request: an unknown action or a malformed policy, never a denial).
type simResult struct {
	Name    string   `json:"name"`
	Result  string   `json:"result"`
	Error   string   `json:"error"`
	Ignored []string `json:"ignoredContextKeys"`
}

// simulate evaluates the requests in one node process. The simulator comes from
// package-lock.json (scripts/install-tools cdk runs npm ci when node_modules is missing or
// stale); node is the one on PATH, as for the project's other node scripts.
func simulate(t *testing.T, requests []simRequest) []simResult {
	t.Helper()
	root := testenv.RepoRoot(t)
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH (CI's setup action installs it)")
		}
		t.Skip("node is not on PATH: install Node 22 or 24 to run the IAM simulator")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		install := exec.Command(filepath.Join(root, "scripts", "install-tools"), "cdk")
		install.Dir = root
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("scripts/install-tools cdk: %v\n%s", err, out)
		}
	}
	in, err := json.Marshal(requests)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(root, "scripts", "iam-eval.mjs"))
	cmd.Dir = root
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/iam-eval.mjs: %v\n%s", err, stderr.String())
	}
	var results []simResult
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(requests) {
		t.Fatalf("scripts/iam-eval.mjs answered %d results for %d requests (%v): %.500s", len(results), len(requests), err, out)
	}
	return results
}

// principal is a role of a stage as the simulator sees it: its ARN, its identity policies and
// its boundary.
type principal struct {
	arn        string
	policies   []namedPolicy
	boundaries []namedPolicy
}

func (p principal) request(name, action, resource, account string, context map[string]any) simRequest {
	r := simRequest{Name: name, Principal: p.arn, Action: action, Resource: resource, AccountID: account,
		Context: context, IdentityPolicies: p.policies, Boundaries: p.boundaries}
	if strings.HasPrefix(resource, "arn:aws:kms:") {
		r.ResourcePolicy = defaultKeyPolicy(account)
	}
	return r
}

// defaultKeyPolicy is the key policy KMS gives a key created without one, and the one CDK
// gives keel's keys: the account may use IAM policies to allow access to the key. KMS
// evaluates the key policy first: without this statement no identity policy grants anything
// (AWS KMS Developer Guide, "Default key policy").
func defaultKeyPolicy(account string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"}, "Action": "kms:*", "Resource": "*",
	}}}
}

// bootstrapPolicies returns the documents of the bootstrap stack's managed policies whose
// names start with prefix.
func bootstrapPolicies(t *testing.T, tp template, prefix string) []namedPolicy {
	t.Helper()
	var out []namedPolicy
	for _, r := range tp.resources("AWS::IAM::ManagedPolicy") {
		if n, _ := get(r, "Properties", "ManagedPolicyName").(string); strings.HasPrefix(n, prefix) {
			out = append(out, namedPolicy{Name: n, Policy: get(r, "Properties", "PolicyDocument")})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no managed policy %s* in the bootstrap stack", prefix)
	}
	return out
}

// resolver turns the intrinsic functions of a service template's policies into the literal
// ARNs they stand for once deployed, the way CloudFormation names what it creates:
// "<stack name>-<logical ID>-<suffix>" for an unnamed log group, the ELB ARN formats of the
// Elastic Load Balancing API reference, the foundation's exports by their fixed names.
type resolver struct {
	stage, account, region string
	resources              map[string]any
}

func (r resolver) resolve(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			return r.ref(ref, false)
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			if att[1] == "Arn" {
				return r.ref(fmt.Sprint(att[0]), true)
			}
			return r.attribute(fmt.Sprint(att[0]), fmt.Sprint(att[1]))
		}
		if imp, ok := v["Fn::ImportValue"].(string); ok {
			return r.imported(imp)
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			var parts []string
			for _, p := range anySlice(join[1]) {
				s, err := r.resolve(p)
				if err != nil {
					return "", err
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, fmt.Sprint(join[0])), nil
		}
	}
	return "", fmt.Errorf("no literal for %s: teach resolver in test/infra/iamsim_test.go", jsonOf(v))
}

func (r resolver) ref(id string, arn bool) (string, error) {
	switch id {
	case "AWS::Region":
		return r.region, nil
	case "AWS::AccountId":
		return r.account, nil
	case "AWS::Partition":
		return "aws", nil
	}
	typ := fmt.Sprint(get(r.resources, id, "Type"))
	elb := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:", r.region, r.account)
	switch typ {
	case "AWS::Logs::LogGroup":
		name := fmt.Sprintf("keel-%s-%s-AbCdEf123456", r.stage, id)
		if arn {
			return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", r.region, r.account, name), nil
		}
		return name, nil
	case "AWS::S3::Bucket":
		name := strings.ToLower(fmt.Sprintf("keel-%s-foundation-%s-abcdef012345", r.stage, id))
		if arn {
			return "arn:aws:s3:::" + name, nil
		}
		return name, nil
	case "AWS::KMS::Key":
		return fmt.Sprintf("arn:aws:kms:%s:%s:key/0a1b2c3d-0000-4000-8000-000000000000", r.region, r.account), nil
	case "AWS::ElasticLoadBalancingV2::TargetGroup":
		return elb + "targetgroup/keel-" + r.stage + "-tg/0123456789abcdef", nil
	case "AWS::ElasticLoadBalancingV2::Listener":
		return elb + "listener/app/keel-" + r.stage + "-lb/0123456789abcdef/fedcba9876543210", nil
	case "AWS::ElasticLoadBalancingV2::ListenerRule":
		return elb + "listener-rule/app/keel-" + r.stage + "-lb/0123456789abcdef/fedcba9876543210/0011223344556677", nil
	}
	return "", fmt.Errorf("no literal for %s (%s): teach resolver in test/infra/iamsim_test.go", id, typ)
}

// attribute gives the database's attributes the stage's policies name: its resource ID (in
// rds-db:connect's ARN) and its RDS-managed master secret (named by RDS, rds!...).
func (r resolver) attribute(id, name string) (string, error) {
	switch name {
	case "DBClusterResourceId":
		return "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ", nil
	case "DbiResourceId":
		return "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ", nil
	case "MasterUserSecret.SecretArn":
		return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds!cluster-0a1b2c3d-0000-4000-8000-000000000000-AbCdEf", r.region, r.account), nil
	}
	return "", fmt.Errorf("no literal for %s.%s: teach resolver in test/infra/iamsim_test.go", id, name)
}

func (r resolver) imported(name string) (string, error) {
	what, ok := strings.CutPrefix(name, "keel-"+r.stage+"-")
	switch {
	case ok && (what == "vsync-config-arn" || what == "vsync-passphrase-arn"):
		return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:keel/%s/%s-AbCdEf", r.region, r.account, r.stage, strings.TrimSuffix(what, "-arn")), nil
	case ok && what == "vault-key-arn":
		return fmt.Sprintf("arn:aws:kms:%s:%s:key/0a1b2c3d-0000-4000-8000-000000000000", r.region, r.account), nil
	}
	return "", fmt.Errorf("no literal for the import %s: teach resolver in test/infra/iamsim_test.go", name)
}
