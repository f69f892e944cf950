package infra

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/cfnlint"
)

// The CloudFormation resource schemas: each type's handlers.create|update|delete.permissions.
const schemaModule = "github.com/aws-cloudformation/rain@v1.24.4"

// refused are handler permissions the execution policy withholds on purpose.
var refused = map[string]string{
	"iam:DeleteRolePermissionsBoundary": "every role of the stage keeps the boundary; the handler calls it only to remove one",
	"iam:DeleteGroupPolicy":             "AWS::IAM::Policy on groups: keel attaches policies to its roles only",
	"iam:GetGroupPolicy":                "AWS::IAM::Policy on groups: keel attaches policies to its roles only",
	"iam:PutGroupPolicy":                "AWS::IAM::Policy on groups: keel attaches policies to its roles only",
	"iam:DeleteUserPolicy":              "AWS::IAM::Policy on users: keel creates no IAM user (the boundary denies it)",
	"iam:GetUserPolicy":                 "AWS::IAM::Policy on users: keel creates no IAM user (the boundary denies it)",
	"iam:PutUserPolicy":                 "AWS::IAM::Policy on users: keel creates no IAM user (the boundary denies it)",
	"s3:REST.PUT.OBJECT":                "listed by AWS::Logs::LogGroup's schema, but an S3 operation name, not an IAM action (IAM rejects it)",
	"iam:ListRoles":                     "AWS::RDS::DBInstance: takes no resource (it would list every role of the account); keel passes RDS no role (no monitoring or feature role)",
	// AWS::WAFv2::WebACLAssociation's schema lists the association calls of every resource
	// type WAF protects; keel associates its web ACL with its ALB only.
	"amplify:AssociateWebACL": wafOnALBOnly, "amplify:DisassociateWebACL": wafOnALBOnly, "amplify:GetWebACLForResource": wafOnALBOnly,
	"apigateway:SetWebACL": wafOnALBOnly, "appsync:SetWebACL": wafOnALBOnly,
	"apprunner:AssociateWebAcl": wafOnALBOnly, "apprunner:DescribeWebAclForService": wafOnALBOnly, "apprunner:DisassociateWebAcl": wafOnALBOnly,
	"cognito-idp:AssociateWebACL": wafOnALBOnly, "cognito-idp:DisassociateWebACL": wafOnALBOnly, "cognito-idp:GetWebACLForResource": wafOnALBOnly,
	"ec2:AssociateVerifiedAccessInstanceWebAcl": wafOnALBOnly, "ec2:DescribeVerifiedAccessInstanceWebAclAssociations": wafOnALBOnly,
	"ec2:DisassociateVerifiedAccessInstanceWebAcl": wafOnALBOnly, "ec2:GetVerifiedAccessInstanceWebAcl": wafOnALBOnly,
	"wafv2:GetPermissionPolicy": "shares a rule group with other accounts; keel's web ACL uses AWS's managed groups and shares nothing",
	"wafv2:PutPermissionPolicy": "shares a rule group with other accounts; keel's web ACL uses AWS's managed groups and shares nothing",
	// AWS::WAFv2::LoggingConfiguration's schema lists the calls of every log destination;
	// keel logs to CloudWatch Logs, which needs no service-linked role, bucket or stream.
	"firehose:ListDeliveryStreams": "WAF logs go to CloudWatch Logs, not Firehose",
	"iam:DescribeOrganization":     "listed by AWS::WAFv2::LoggingConfiguration's schema, but not an IAM action (IAM has no such call)",
}

// iamActionFor maps the names in the resource schemas that are S3 API operations, not IAM
// actions, to the IAM action that authorizes the operation (Amazon S3 API reference, each
// operation's "Permissions"); infra/bootstrap grants the IAM action.
var iamActionFor = map[string]string{
	"s3:DeleteBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
	"s3:DeleteBucketCors":                   "s3:PutBucketCORS",
	"s3:DeleteBucketEncryption":             "s3:PutEncryptionConfiguration",
	"s3:DeleteBucketLifecycle":              "s3:PutLifecycleConfiguration",
	"s3:DeleteBucketMetricsConfiguration":   "s3:PutMetricsConfiguration",
	"s3:DeleteBucketReplication":            "s3:PutReplicationConfiguration",
	"s3:PutBucketReplication":               "s3:PutReplicationConfiguration",
	"s3:PutObjectLockConfiguration":         "s3:PutBucketObjectLockConfiguration",
}

const wafOnALBOnly = "AWS::WAFv2::WebACLAssociation for another resource type than an ALB; keel associates its web ACL with its load balancer only"

// legacy are the types whose schemas list no handler permissions (CloudFormation provisions
// them with its older handlers), with the calls their API references document.
var legacy = map[string][]string{
	"AWS::CertificateManager::Certificate": {"acm:RequestCertificate", "acm:DescribeCertificate", "acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate", "route53:ChangeResourceRecordSets", "route53:GetChange"},
	"AWS::Route53::RecordSet":              {"route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets", "route53:GetHostedZone"},
}

// requiredPermissions is what CloudFormation needs to create, update and delete a resource of
// type typ through the execution role. AWS::CDK::Metadata is CloudFormation's own metadata
// record (no handler, no permission). A custom resource (Custom::*, AWS::CloudFormation::
// CustomResource) is an invocation of its service token's Lambda function with the execution
// role: lambda:InvokeFunction, which the policy does not grant, so a custom resource fails
// here by name until someone decides which function the stage may invoke.
func requiredPermissions(schemas, typ string) ([]string, error) {
	switch {
	case typ == "AWS::CDK::Metadata":
		return nil, nil
	case strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource":
		return []string{"lambda:InvokeFunction"}, nil
	}
	parts := strings.Split(typ, "::")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%s is not a resource type", typ)
	}
	b, err := os.ReadFile(filepath.Join(schemas, strings.ToLower(parts[1]), strings.ToLower(parts[2])+".json"))
	if err != nil {
		return nil, fmt.Errorf("%s: no schema in %s (%v)", typ, schemaModule, err)
	}
	var schema struct {
		Handlers map[string]struct {
			Permissions []string `json:"permissions"`
		} `json:"handlers"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		return nil, fmt.Errorf("%s schema: %w", typ, err)
	}
	var out []string
	for _, h := range []string{"create", "update", "delete"} {
		out = append(out, schema.Handlers[h].Permissions...)
	}
	if len(out) == 0 {
		if out = legacy[typ]; out == nil {
			return nil, fmt.Errorf("%s: its schema lists no handler permissions; add the documented calls to legacy in this test and to infra/bootstrap", typ)
		}
	}
	return out, nil
}

// policyStatement is one statement of a policy, normalized.
type policyStatement struct {
	Sid, Effect       string
	Actions, NotAct   []string
	Resources, NotRes []string
	Condition         map[string]map[string]any
}

func statementsOf(doc any) []policyStatement {
	var out []policyStatement
	for _, s := range anySlice(get(doc, "Statement")) {
		st := policyStatement{Effect: fmt.Sprint(get(s, "Effect")), Actions: strs(get(s, "Action")), NotAct: strs(get(s, "NotAction")),
			Resources: strs(get(s, "Resource")), NotRes: strs(get(s, "NotResource"))}
		st.Sid, _ = get(s, "Sid").(string)
		if c, ok := get(s, "Condition").(map[string]any); ok {
			st.Condition = map[string]map[string]any{}
			for op, kv := range c {
				st.Condition[op], _ = kv.(map[string]any)
			}
		}
		out = append(out, st)
	}
	return out
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return nil
}

// managedPolicies returns the statements of the stage's bootstrap policies named name (or,
// with a trailing *, starting with it), and each document's size without whitespace.
func managedPolicies(t *testing.T, tp template, name string) (statements []policyStatement, sizes map[string]int) {
	t.Helper()
	sizes = map[string]int{}
	for _, r := range tp.resources("AWS::IAM::ManagedPolicy") {
		n, _ := get(r, "Properties", "ManagedPolicyName").(string)
		if prefix, ok := strings.CutSuffix(name, "*"); (ok && strings.HasPrefix(n, prefix)) || n == name {
			doc := get(r, "Properties", "PolicyDocument")
			statements = append(statements, statementsOf(doc)...)
			sizes[n] = len(jsonOf(doc))
		}
	}
	if len(statements) == 0 {
		t.Fatalf("no managed policy %s in the bootstrap stack", name)
	}
	return statements, sizes
}

// allows: some Allow statement names the action (the rules below forbid wildcards in Allow).
func allows(statements []policyStatement, action string) bool {
	for _, s := range statements {
		if s.Effect == "Allow" && slices.Contains(s.Actions, action) {
			return true
		}
	}
	return false
}

// uncovered lists, per resource type in templates, the handler permissions statements do not
// allow (refused ones aside), and the types it cannot judge.
func uncovered(schemas string, templates map[string]template, statements []policyStatement) []string {
	var problems []string
	types := map[string]string{} // type -> where first seen
	for where, tp := range templates {
		for _, r := range tp["Resources"].(map[string]any) {
			typ := fmt.Sprint(get(r, "Type"))
			if _, ok := types[typ]; !ok {
				types[typ] = where
			}
		}
	}
	for typ, where := range types {
		perms, err := requiredPermissions(schemas, typ)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		var missing []string
		for _, p := range perms {
			if action, ok := iamActionFor[p]; ok {
				p = action
			}
			if _, ok := refused[p]; !ok && !allows(statements, p) && !slices.Contains(missing, p) {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s (in %s): the execution policy does not allow %v: add them to infra/bootstrap/permissions.go", typ, where, missing))
		}
	}
	sort.Strings(problems)
	return problems
}

// bootstrapDeployed returns the templates of a stage's assembly that CloudFormation deploys
// through the bootstrap's deploy role, and so through the execution role: every stack whose
// manifest names the deploy role (admin stacks use CliCredentialsStackSynthesizer and name
// none).
func bootstrapDeployed(t *testing.T, outdir, stage string) map[string]template {
	t.Helper()
	dir := filepath.Join(outdir, "assembly-"+stage)
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type       string
			Properties struct{ TemplateFile, AssumeRoleArn string }
		}
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	out := map[string]template{}
	for id, art := range manifest.Artifacts {
		if art.Type != "aws:cloudformation:stack" || !strings.Contains(art.Properties.AssumeRoleArn, "-deploy-role-") {
			continue
		}
		var tp template
		tb, err := os.ReadFile(filepath.Join(dir, art.Properties.TemplateFile))
		if err == nil {
			err = json.Unmarshal(tb, &tp)
		}
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		out[id] = tp
	}
	return out
}

// TestExecutionPolicyCoverage: every resource type of every stack deployed through a stage's
// bootstrap (the service stack; the default app and the staging variant: imported VPC,
// HTTPS, Spot), and every permission its handlers need, is allowed by the stage's execution
// policies.
func TestExecutionPolicyCoverage(t *testing.T) {
	schemas := filepath.Join(testenv.GoModuleDir(t, schemaModule), "internal", "aws", "cfn", "schemas", "aws")
	for _, a := range []*synthesized{app(t), variant(t)} {
		for _, name := range settings.Names {
			t.Run(name, func(t *testing.T) {
				statements, _ := managedPolicies(t, a.bootstrap[name], "keel-"+name+"-cfn-execution-*")
				stacks := bootstrapDeployed(t, a.outdir, name)
				if _, ok := stacks[*a.built[name].Stack.ArtifactId()]; !ok || stacks[*a.built[name].GitHub.ArtifactId()] != nil || stacks[*a.built[name].Bootstrap.ArtifactId()] != nil {
					t.Fatalf("stacks deployed through the bootstrap: %v, want the service stack and no admin stack", slices.Collect(maps.Keys(stacks)))
				}
				for _, p := range uncovered(schemas, stacks, statements) {
					t.Error(p)
				}
				for action, reason := range refused {
					if allows(statements, action) {
						t.Errorf("%s is allowed, but refused on purpose: %s", action, reason)
					}
				}
			})
		}
	}
	// The check fails on the bad case: a type the policy knows nothing of, and a custom resource.
	extra := template{"Resources": map[string]any{"Q": map[string]any{"Type": "AWS::SQS::Queue"}, "C": map[string]any{"Type": "Custom::Thing"}, "M": map[string]any{"Type": "AWS::CDK::Metadata"}}}
	statements, _ := managedPolicies(t, app(t).bootstrap["dev"], "keel-dev-cfn-execution-*")
	got := strings.Join(uncovered(schemas, map[string]template{"extra": extra}, statements), "\n")
	if !strings.Contains(got, "AWS::SQS::Queue (in extra)") || !strings.Contains(got, "sqs:CreateQueue") || !strings.Contains(got, "Custom::Thing (in extra)") || strings.Contains(got, "CDK::Metadata") {
		t.Errorf("an uncovered type is not reported by name:\n%s", got)
	}
}

// unknownActions lists the actions of statements (wildcards aside) that IAM does not know:
// IAM accepts a policy naming them, and they grant nothing.
func unknownActions(statements []policyStatement, known cfnlint.IAMActions) []string {
	var bad []string
	for _, s := range statements {
		for _, action := range append(slices.Clone(s.Actions), s.NotAct...) {
			if !strings.Contains(action, "*") && !known.Known(action) {
				bad = append(bad, fmt.Sprintf("%s: %s is not an IAM action (Service Authorization Reference, as cfn-lint ships it)", s.Sid, action))
			}
		}
	}
	return bad
}

// TestBootstrapActionsExist: every action the execution policies and the boundary name is
// one IAM knows, checked against cfn-lint's copy of the Service Authorization Reference.
func TestBootstrapActionsExist(t *testing.T) {
	known, err := cfnlint.LoadIAMActions(context.Background(), testenv.CfnLint(t))
	if err != nil {
		t.Fatal(err)
	}
	a := app(t)
	for _, name := range settings.Names {
		for _, policy := range []string{"keel-" + name + "-cfn-execution-*", "keel-" + name + "-boundary"} {
			statements, _ := managedPolicies(t, a.bootstrap[name], policy)
			for _, p := range unknownActions(statements, known) {
				t.Errorf("%s %s", policy, p)
			}
		}
	}
	// The check fails on the bad case: an S3 API operation name where an IAM action belongs.
	bad := []policyStatement{{Sid: "Cors", Effect: "Allow", Actions: []string{"s3:DeleteBucketCors", "s3:PutBucketCORS"}}}
	if got := unknownActions(bad, known); len(got) != 1 || !strings.Contains(got[0], "s3:DeleteBucketCors") {
		t.Errorf("unknown actions of the bad statement = %v, want s3:DeleteBucketCors alone", got)
	}
}

// policyRules lists what no execution policy may contain: a wildcard or NotAction in an Allow,
// IAM on every resource, secrets beyond the stage's own, iam:PassRole without its service condition or beyond the stage's
// roles, role changes without the boundary condition.
func policyRules(stage string, statements []policyStatement) []string {
	var bad []string
	ownRoles := "arn:aws:iam::" + settings.ExampleAccount + ":role/keel-" + stage + "-*"
	boundary := "arn:aws:iam::" + settings.ExampleAccount + ":policy/keel-" + stage + "-boundary"
	for _, s := range statements {
		if s.Effect != "Allow" {
			continue
		}
		if len(s.NotAct) > 0 || len(s.NotRes) > 0 {
			bad = append(bad, s.Sid+": NotAction/NotResource in an Allow")
		}
		for _, action := range s.Actions {
			service, name, _ := strings.Cut(action, ":")
			switch {
			case strings.Contains(action, "*"):
				bad = append(bad, fmt.Sprintf("%s allows %q", s.Sid, action))
			case service == "secretsmanager" && action != "secretsmanager:GetRandomPassword":
				// A dynamic reference resolves with this role: it may read the stage's own secrets only.
				// RDS's managed secrets (rds!...) it may only create and tag.
				rdsCreate := slices.Contains([]string{"secretsmanager:CreateSecret", "secretsmanager:TagResource"}, action) &&
					slices.Equal(s.Resources, []string{"arn:aws:secretsmanager:eu-west-1:" + settings.ExampleAccount + ":secret:rds!*"})
				own := "arn:aws:secretsmanager:eu-west-1:" + settings.ExampleAccount + ":secret:keel/" + stage + "/"
				if !rdsCreate && (!slices.ContainsFunc(s.Resources, func(r string) bool { return strings.HasPrefix(r, own) }) || slices.ContainsFunc(s.Resources, func(r string) bool { return !strings.HasPrefix(r, own) })) {
					bad = append(bad, fmt.Sprintf("%s allows %s on %v, not only the stage's secrets", s.Sid, action, s.Resources))
				}
			case service != "iam":
			case slices.Contains(s.Resources, "*"):
				bad = append(bad, fmt.Sprintf("%s allows %s on every resource", s.Sid, action))
			case action == "iam:PassRole":
				if services, _ := s.Condition["StringEquals"]["iam:PassedToService"].([]any); len(services) == 0 || !slices.Contains(s.Resources, ownRoles) {
					bad = append(bad, fmt.Sprintf("%s allows iam:PassRole without an iam:PassedToService condition on the stage's roles", s.Sid))
				}
			case action == "iam:CreateServiceLinkedRole":
				if s.Condition["StringEquals"]["iam:AWSServiceName"] == nil {
					bad = append(bad, s.Sid+" allows iam:CreateServiceLinkedRole for any service")
				}
			default:
				if !slices.Equal(s.Resources, []string{ownRoles}) {
					bad = append(bad, fmt.Sprintf("%s allows %s on %v, not only the stage's roles", s.Sid, action, s.Resources))
				}
				boundaryKey := slices.Contains([]string{"CreateRole", "PutRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "DeleteRolePolicy", "PutRolePermissionsBoundary"}, name)
				if boundaryKey && s.Condition["StringEquals"]["iam:PermissionsBoundary"] != boundary {
					bad = append(bad, fmt.Sprintf("%s allows %s without iam:PermissionsBoundary = %s", s.Sid, action, boundary))
				}
			}
		}
	}
	return bad
}

func TestExecutionPolicyRules(t *testing.T) {
	a := app(t)
	for _, name := range settings.Names {
		t.Run(name, func(t *testing.T) {
			statements, sizes := managedPolicies(t, a.bootstrap[name], "keel-"+name+"-cfn-execution-*")
			for _, p := range policyRules(name, statements) {
				t.Error(p)
			}
			for policy, size := range sizes {
				if size > 6144 {
					t.Errorf("%s is %d characters: IAM's limit for a managed policy is 6,144", policy, size)
				}
			}
			protected := findSid(t, statements, "ProtectedIAM")
			if protected.Effect != "Deny" || !slices.Contains(protected.Resources, "arn:aws:iam::123456789012:role/keel-*-github-*") {
				t.Errorf("the execution policy does not deny IAM on the GitHub roles: %+v", protected)
			}
		})
	}
	// The rules fail on the bad cases.
	bad := []policyStatement{
		{Sid: "Star", Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"}},
		{Sid: "IamStar", Effect: "Allow", Actions: []string{"iam:*"}, Resources: []string{"*"}},
		{Sid: "Pass", Effect: "Allow", Actions: []string{"iam:PassRole"}, Resources: []string{"arn:aws:iam::123456789012:role/keel-dev-*"}},
		{Sid: "Create", Effect: "Allow", Actions: []string{"iam:CreateRole"}, Resources: []string{"arn:aws:iam::123456789012:role/keel-dev-*"}},
		{Sid: "AnyRole", Effect: "Allow", Actions: []string{"iam:UpdateAssumeRolePolicy"}, Resources: []string{"arn:aws:iam::123456789012:role/*"}},
		{Sid: "AnySecret", Effect: "Allow", Actions: []string{"secretsmanager:GetSecretValue"}, Resources: []string{"*"}},
		{Sid: "ReadRDSSecret", Effect: "Allow", Actions: []string{"secretsmanager:GetSecretValue"}, Resources: []string{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!*"}},
	}
	if got := policyRules("dev", bad); len(got) != len(bad) {
		t.Errorf("the rules found %d of %d bad statements: %v", len(got), len(bad), got)
	}
}

func findSid(t *testing.T, statements []policyStatement, sid string) policyStatement {
	t.Helper()
	for _, s := range statements {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("no statement %s", sid)
	return policyStatement{}
}

// TestPermissionsBoundary: the boundary keeps every role of the stage (the execution role
// included) from dropping or escaping it, from IAM outside the stage's own roles, from
// touching the bootstrap (buckets, repositories) and the GitHub roles, from assuming any role
// and from changing any stack; and every role the service stack creates carries it. What it
// denies in effect is proven with the IAM simulator (escalation_test.go).
func TestPermissionsBoundary(t *testing.T) {
	a := app(t)
	for _, name := range settings.Names {
		t.Run(name, func(t *testing.T) {
			s := a.built[name].Settings
			statements, sizes := managedPolicies(t, a.bootstrap[name], "keel-"+name+"-boundary")
			if size := sizes["keel-"+name+"-boundary"]; size > 6144 {
				t.Errorf("the boundary is %d characters: IAM's limit for a managed policy is 6,144", size)
			}
			iam := func(r string) string { return "arn:aws:iam::" + s.Account + ":" + r }
			boundary := iam("policy/keel-" + name + "-boundary")
			want := map[string]string{
				"NoRoleWithoutThisBoundary": `{"Sid":"NoRoleWithoutThisBoundary","Effect":"Deny","Actions":["iam:CreateRole","iam:PutRolePermissionsBoundary"],"NotAct":null,"Resources":["*"],"NotRes":null,"Condition":{"StringNotEquals":{"iam:PermissionsBoundary":"` + boundary + `"}}}`,
				"NoBoundaryRemoval":         `{"Sid":"NoBoundaryRemoval","Effect":"Deny","Actions":["iam:DeleteRolePermissionsBoundary","iam:DeleteUserPermissionsBoundary"],"NotAct":null,"Resources":["*"],"NotRes":null,"Condition":null}`,
				"ProtectedIAM":              `{"Sid":"ProtectedIAM","Effect":"Deny","Actions":["iam:*"],"NotAct":null,"Resources":["` + iam("role/keel-*-github-*") + `"],"NotRes":null,"Condition":null}`,
				"OwnPrincipalsOnly":         `{"Sid":"OwnPrincipalsOnly","Effect":"Deny","Actions":["iam:*"],"NotAct":null,"Resources":null,"NotRes":["` + iam("role/keel-"+name+"-*") + `","` + iam("role/aws-service-role/*") + `"],"Condition":null}`,
			}
			for sid, w := range want {
				if got := jsonOf(findSid(t, statements, sid)); got != w {
					t.Errorf("%s:\n got %s\nwant %s", sid, got, w)
				}
			}
			if assets := findSid(t, statements, "NoBootstrapAssets"); assets.Effect != "Deny" || !slices.Contains(assets.Actions, "s3:Put*") || !slices.Contains(assets.Resources, "arn:aws:s3:::cdk-*/*") {
				t.Errorf("NoBootstrapAssets does not keep the roles out of the bootstrap buckets: %+v", assets)
			}
			if images := findSid(t, statements, "NoBootstrapImages"); images.Effect != "Deny" || !slices.Contains(images.Actions, "ecr:Put*") {
				t.Errorf("NoBootstrapImages does not keep the roles out of the bootstrap repositories: %+v", images)
			}
			for _, st := range statements {
				if st.Effect == "Allow" && slices.ContainsFunc(st.Actions, func(a string) bool {
					return a == "*" || strings.HasPrefix(a, "cloudformation:") || strings.HasPrefix(a, "sts:")
				}) {
					t.Errorf("%s lets the stage's roles change stacks or assume roles: %v", st.Sid, st.Actions)
				}
			}
			for id, r := range a.templates[name].resources("AWS::IAM::Role") {
				if got := get(r, "Properties", "PermissionsBoundary"); got != boundary {
					t.Errorf("role %s has boundary %v, want %s", id, got, boundary)
				}
			}
		})
	}
}
