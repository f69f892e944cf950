package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// attempt is one escalation a merged template could try, through the CloudFormation execution
// role or through a role the template creates with an inline "Allow *" (inside the boundary,
// which the execution policy requires of every role it creates), and its positive twin: what
// that role must still be allowed, so that a policy denying everything cannot pass.
type attempt struct {
	name       string
	by         string // "exec" (the execution role) or "hostile" (a stack role with Allow *)
	deny, twin call
}

// call is one request: action on resource, with the request's context keys.
type call struct {
	action, resource string
	context          map[string]any
}

// stageNames are the names one stage's attempts use: its own resources and another stage's
// in the same account (the defaults put every stage in one account).
type stageNames struct {
	stage, other, account, region, qualifier string
	// domain and otherDomain are the stages' DNS names (empty without one).
	domain, otherDomain string
}

func (n stageNames) iam(r string) string { return "arn:aws:iam::" + n.account + ":" + r }
func (n stageNames) secret(name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", n.region, n.account, name)
}
func (n stageNames) arn(service, r string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, n.region, n.account, r)
}
func (n stageNames) ownRole() string {
	return n.iam("role/keel-" + n.stage + "-AppTaskTaskRole-AbCdEf")
}
func (n stageNames) boundary() string { return n.iam("policy/keel-" + n.stage + "-boundary") }
func (n stageNames) vaultBucket() string {
	return "arn:aws:s3:::keel-" + n.stage + "-foundation-foundationvaultabcdef-0123456789ab"
}
func (n stageNames) ownBucket() string {
	return "arn:aws:s3:::keel-" + n.stage + "-ingressaccesslogsabcdef-0123456789ab"
}

func tagged(stage string) map[string]any { return map[string]any{"aws:ResourceTag/keel:stage": stage} }
func withBoundary(n stageNames) map[string]any {
	return map[string]any{"iam:PermissionsBoundary": n.boundary()}
}

// attempts is the table: the escalations issue #28 names, and the others found on the way.
func attempts(n stageNames) []attempt {
	own := tagged(n.stage)
	other := tagged(n.other)
	passTo := func(service string) map[string]any { return map[string]any{"iam:PassedToService": service} }
	createOwnRole := call{"iam:CreateRole", n.ownRole(), withBoundary(n)}
	updateOwnService := call{"ecs:UpdateService", n.arn("ecs", "service/keel-"+n.stage+"/svc"), own}
	listener := func(stage string) string {
		return n.arn("elasticloadbalancing", "listener/app/keel-"+stage+"-lb/0123456789abcdef/fedcba9876543210")
	}
	key := n.arn("kms", "key/0a1b2c3d-0000-4000-8000-000000000000")
	sg := n.arn("ec2", "security-group/sg-0123456789abcdef0")
	return []attempt{
		// IAM on principals the stage does not own.
		{"put a policy on the vault reader user", "hostile", call{"iam:PutUserPolicy", n.iam("user/keel-" + n.stage + "-vault-reader"), nil}, call{"iam:PutRolePolicy", n.ownRole(), withBoundary(n)}},
		{"attach a policy to any user", "hostile", call{"iam:AttachUserPolicy", n.iam("user/alice"), nil}, call{"iam:AttachRolePolicy", n.ownRole(), withBoundary(n)}},
		{"add any user to a group", "hostile", call{"iam:AddUserToGroup", n.iam("group/Admins"), nil}, createOwnRole},
		{"a key for the vault reader", "hostile", call{"iam:CreateAccessKey", n.iam("user/keel-" + n.stage + "-vault-reader"), nil}, createOwnRole},
		{"create a user", "hostile", call{"iam:CreateUser", n.iam("user/backdoor"), nil}, createOwnRole},
		{"trust OrganizationAccountAccessRole to anyone", "hostile", call{"iam:UpdateAssumeRolePolicy", n.iam("role/OrganizationAccountAccessRole"), nil}, call{"iam:UpdateAssumeRolePolicy", n.ownRole(), nil}},
		{"attach a policy to a role outside the stage", "hostile", call{"iam:AttachRolePolicy", n.iam("role/OrganizationAccountAccessRole"), nil}, call{"iam:AttachRolePolicy", n.ownRole(), withBoundary(n)}},
		{"change another stage's role", "hostile", call{"iam:PutRolePolicy", n.iam("role/keel-" + n.other + "-AppTaskTaskRole-AbCdEf"), map[string]any{"iam:PermissionsBoundary": n.iam("policy/keel-" + n.other + "-boundary")}}, call{"iam:PutRolePolicy", n.ownRole(), withBoundary(n)}},
		{"a role without the boundary", "hostile", call{"iam:CreateRole", n.ownRole(), map[string]any{"iam:PermissionsBoundary": n.iam("policy/AdministratorAccess")}}, createOwnRole},
		{"drop the boundary", "hostile", call{"iam:DeleteRolePermissionsBoundary", n.ownRole(), nil}, call{"iam:PutRolePermissionsBoundary", n.ownRole(), withBoundary(n)}},
		{"change the deploy role", "exec", call{"iam:PutRolePolicy", n.iam("role/keel-" + n.stage + "-github-deploy"), withBoundary(n)}, call{"iam:PutRolePolicy", n.ownRole(), withBoundary(n)}},
		{"change the boundary policy", "hostile", call{"iam:CreatePolicyVersion", n.boundary(), nil}, createOwnRole},
		{"pass a role outside the stage", "hostile", call{"iam:PassRole", n.iam("role/OrganizationAccountAccessRole"), passTo("ecs-tasks.amazonaws.com")}, call{"iam:PassRole", n.ownRole(), passTo("ecs-tasks.amazonaws.com")}},
		{"pass an own role to EC2", "exec", call{"iam:PassRole", n.ownRole(), passTo("ec2.amazonaws.com")}, call{"iam:PassRole", n.ownRole(), passTo("ecs-tasks.amazonaws.com")}},
		{"a service-linked role of another service", "hostile", call{"iam:CreateServiceLinkedRole", n.iam("role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway"), map[string]any{"iam:AWSServiceName": "ops.apigateway.amazonaws.com"}}, call{"iam:CreateServiceLinkedRole", n.iam("role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"), map[string]any{"iam:AWSServiceName": "ecs.amazonaws.com"}}},
		{"assume the bootstrap deploy role", "hostile", call{"sts:AssumeRole", n.iam("role/cdk-" + n.qualifier + "-deploy-role-" + n.account + "-" + n.region), nil}, updateOwnService},
		// Secrets.
		{"read a secret outside keel/<stage>/", "hostile", call{"secretsmanager:GetSecretValue", n.secret("prod-database/admin"), nil}, call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.stage + "/vsync-config"), nil}},
		{"read another stage's passphrase", "hostile", call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.other + "/vsync-passphrase"), nil}, call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.stage + "/vsync-passphrase"), nil}},
		{"read the reader's key", "hostile", call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.stage + "/vault-reader"), nil}, call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.stage + "/vsync-config"), nil}},
		{"resolve the reader's key in a template", "exec", call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.stage + "/vault-reader"), nil}, call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.stage + "/smoke-token"), nil}},
		{"resolve the passphrase in a template", "exec", call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.stage + "/vsync-passphrase"), nil}, call{"secretsmanager:GetSecretValue", n.secret("keel/" + n.stage + "/smoke-token"), nil}},
		{"overwrite the vault token", "exec", call{"secretsmanager:UpdateSecret", n.secret("keel/" + n.stage + "/vsync-config"), nil}, call{"secretsmanager:UpdateSecret", n.secret("keel/" + n.stage + "/smoke-token"), nil}},
		{"a resource policy on the passphrase", "hostile", call{"secretsmanager:PutResourcePolicy", n.secret("keel/" + n.stage + "/vsync-passphrase"), nil}, call{"secretsmanager:DescribeSecret", n.secret("keel/" + n.stage + "/vsync-passphrase"), nil}},
		// Audit.
		{"stop CloudTrail", "hostile", call{"cloudtrail:StopLogging", n.arn("cloudtrail", "trail/org-trail"), nil}, call{"logs:PutLogEvents", n.arn("logs", "log-group:keel-"+n.stage+"-Logs-AbC:log-stream:x"), own}},
		{"delete a trail", "exec", call{"cloudtrail:DeleteTrail", n.arn("cloudtrail", "trail/org-trail"), nil}, call{"logs:CreateLogGroup", n.arn("logs", "log-group:keel-"+n.stage+"-Logs-AbC"), nil}},
		{"stop AWS Config", "hostile", call{"config:StopConfigurationRecorder", "*", nil}, call{"cloudwatch:PutMetricAlarm", n.arn("cloudwatch", "alarm:keel-"+n.stage+"-5xx"), nil}},
		{"delete a Config rule", "hostile", call{"config:DeleteConfigRule", n.arn("config", "config-rule/config-rule-abc"), nil}, call{"cloudwatch:PutMetricAlarm", n.arn("cloudwatch", "alarm:keel-"+n.stage+"-5xx"), nil}},
		{"open the account's public-access block", "hostile", call{"s3:PutAccountPublicAccessBlock", "*", nil}, call{"s3:PutBucketPublicAccessBlock", n.ownBucket(), nil}},
		{"leave the organization", "hostile", call{"organizations:LeaveOrganization", "*", nil}, updateOwnService},
		// The foundation, through the execution role (a merged template's resources).
		{"replace the vault bucket's policy", "exec", call{"s3:PutBucketPolicy", n.vaultBucket(), nil}, call{"s3:PutBucketPolicy", n.ownBucket(), nil}},
		{"open the vault bucket's public-access block", "exec", call{"s3:PutBucketPublicAccessBlock", n.vaultBucket(), nil}, call{"s3:PutBucketPublicAccessBlock", n.ownBucket(), nil}},
		{"read the vault", "hostile", call{"s3:GetObject", n.vaultBucket() + "/keel/" + n.stage + "/bundle", nil}, call{"s3:GetObject", n.ownBucket() + "/x", nil}},
		{"change the foundation's key policy", "exec", call{"kms:PutKeyPolicy", key, map[string]any{"aws:ResourceTag/keel:stage": n.stage, "aws:ResourceTag/aws:cloudformation:stack-name": "keel-" + n.stage + "-foundation"}},
			call{"kms:PutKeyPolicy", key, map[string]any{"aws:ResourceTag/keel:stage": n.stage, "aws:ResourceTag/aws:cloudformation:stack-name": "keel-" + n.stage}}},
		{"delete a GitHub role's stack resource", "hostile", call{"ecs:DeleteCluster", n.arn("ecs", "cluster/other"), map[string]any{"aws:ResourceTag/aws:cloudformation:stack-name": "keel-" + n.stage + "-github"}}, call{"ecs:DeleteCluster", n.arn("ecs", "cluster/keel-"+n.stage), map[string]any{"aws:ResourceTag/aws:cloudformation:stack-name": "keel-" + n.stage}}},
		// The bootstrap.
		{"plant an asset in the bootstrap bucket", "hostile", call{"s3:PutObject", "arn:aws:s3:::cdk-" + n.qualifier + "-assets-" + n.account + "-" + n.region + "/x.zip", nil}, call{"s3:PutObject", n.ownBucket() + "/x", nil}},
		{"push an image to the bootstrap repository", "hostile", call{"ecr:PutImage", n.arn("ecr", "repository/cdk-"+n.qualifier+"-container-assets-"+n.account+"-"+n.region), nil}, call{"ecr:BatchGetImage", n.arn("ecr", "repository/cdk-"+n.qualifier+"-container-assets-"+n.account+"-"+n.region), nil}},
		{"update another stack", "exec", call{"cloudformation:UpdateStack", n.arn("cloudformation", "stack/keel-"+n.other+"/x"), nil}, updateOwnService},
		{"a login for the vault reader", "hostile", call{"iam:CreateLoginProfile", n.iam("user/keel-" + n.stage + "-vault-reader"), nil}, createOwnRole},
		{"grant itself the foundation's key", "exec", call{"kms:CreateGrant", key, map[string]any{"aws:ResourceTag/keel:stage": n.stage, "aws:ResourceTag/aws:cloudformation:stack-name": "keel-" + n.stage + "-foundation"}},
			call{"kms:DescribeKey", key, map[string]any{"aws:ResourceTag/keel:stage": n.stage, "aws:ResourceTag/aws:cloudformation:stack-name": "keel-" + n.stage + "-foundation"}}},
		{"another stage's bucket policy", "hostile", call{"s3:PutBucketPolicy", "arn:aws:s3:::keel-" + n.other + "-ingressaccesslogsabcdef-0123456789ab", nil}, call{"s3:PutBucketPolicy", n.ownBucket(), nil}},
		dnsAttempt(n),
		// Another stage's resources in a shared account (tag guards).
		{"a rule on another stage's listener", "hostile", call{"elasticloadbalancing:ModifyListener", listener(n.other), other}, call{"elasticloadbalancing:ModifyListener", listener(n.stage), own}},
		{"update another stage's service", "exec", call{"ecs:UpdateService", n.arn("ecs", "service/keel-"+n.other+"/svc"), other}, updateOwnService},
		{"open another stage's security group", "hostile", call{"ec2:AuthorizeSecurityGroupIngress", sg, other}, call{"ec2:AuthorizeSecurityGroupIngress", sg, own}},
		{"decrypt with another stage's key", "hostile", call{"kms:Decrypt", key, other}, call{"kms:Decrypt", key, own}},
		{"schedule another stage's key for deletion", "exec", call{"kms:ScheduleKeyDeletion", key, other}, call{"kms:ScheduleKeyDeletion", key, own}},
		{"retag another stage's key as this stage's", "hostile", call{"kms:TagResource", key, map[string]any{"aws:ResourceTag/keel:stage": n.other, "aws:RequestTag/keel:stage": n.stage, "aws:TagKeys": []string{"keel:stage"}}},
			call{"kms:TagResource", key, map[string]any{"aws:ResourceTag/keel:stage": n.stage, "aws:RequestTag/keel:stage": n.stage, "aws:TagKeys": []string{"keel:stage"}}}},
		{"untag another stage's security group", "hostile", call{"ec2:DeleteTags", sg, map[string]any{"aws:ResourceTag/keel:stage": n.other, "aws:TagKeys": []string{"keel:stage"}}}, call{"ec2:DeleteTags", sg, map[string]any{"aws:ResourceTag/keel:stage": n.stage, "aws:TagKeys": []string{"keel:stage"}}}},
		{"tag a resource as another stage's", "exec", call{"ec2:CreateTags", sg, map[string]any{"aws:RequestTag/keel:stage": n.other, "aws:TagKeys": []string{"keel:stage"}}}, call{"ec2:CreateTags", sg, map[string]any{"aws:RequestTag/keel:stage": n.stage, "aws:TagKeys": []string{"keel:stage"}}}},
	}
}

// TestEscalationsDenied evaluates the synthesized bootstrap policies with a real IAM policy
// simulator: every attempt is denied, every twin allowed.
func TestEscalationsDenied(t *testing.T) {
	a := app(t)
	var requests []simRequest
	var want []string
	for i, name := range settings.Names {
		s := a.built[name].Settings
		other := settings.Names[(i+1)%len(settings.Names)]
		n := stageNames{stage: name, other: other, account: s.Account, region: s.Region, qualifier: s.Bootstrap.Qualifier,
			domain: s.HTTPS.DomainName, otherDomain: a.built[other].Settings.HTTPS.DomainName}
		boundary := bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-boundary")
		roles := map[string]principal{
			"exec":    {arn: n.iam(fmt.Sprintf("role/cdk-%s-cfn-exec-role-%s-%s", n.qualifier, n.account, n.region)), policies: bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-cfn-execution-"), boundaries: boundary},
			"hostile": {arn: n.iam("role/keel-" + name + "-Hostile-AbCdEf"), policies: []namedPolicy{{Name: "allow-all", Policy: allowAll}}, boundaries: boundary},
		}
		for _, at := range attempts(n) {
			p := roles[at.by]
			requests = append(requests,
				p.request(name+": "+at.name, at.deny.action, at.deny.resource, n.account, at.deny.context),
				p.request(name+": "+at.name+" (twin)", at.twin.action, at.twin.resource, n.account, at.twin.context))
			want = append(want, "denied", "Allowed")
		}
	}
	for i, r := range simulate(t, requests) {
		switch {
		case r.Result == "Error":
			t.Errorf("%s: the simulator cannot evaluate %s: %s", r.Name, requests[i].Action, r.Error)
		case len(r.Ignored) > 0:
			t.Errorf("%s: %s ignores the context keys %v: the condition this attempt tests is not evaluated", r.Name, requests[i].Action, r.Ignored)
		case want[i] == "Allowed" && r.Result != "Allowed":
			t.Errorf("%s: %s on %s is %s, want Allowed: the ceiling is too low for what the stage needs", r.Name, requests[i].Action, requests[i].Resource, r.Result)
		case want[i] == "denied" && r.Result == "Allowed":
			t.Errorf("%s: %s on %s is Allowed", r.Name, requests[i].Action, requests[i].Resource)
		}
	}
}

var allowAll = map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}

// TestStackRolesWithinBoundary: every action the service stack grants its own roles (task,
// execution, flow log, traffic, and whatever a later construct adds) is Allowed through the
// boundary on the resources the grant names, in the default app and in the staging variant
// (imported secrets and key, imported VPC, blue/green). A ceiling that is too low fails here,
// by role.
func TestStackRolesWithinBoundary(t *testing.T) {
	var requests []simRequest
	for _, a := range []*synthesized{app(t), variant(t)} {
		stageRoleRequests(t, a, &requests)
	}
	if len(requests) == 0 {
		t.Fatal("no role policy in the service templates")
	}
	for i, r := range simulate(t, requests) {
		if r.Result != "Allowed" {
			t.Errorf("%s: %s on %s is %s through the boundary (%s): raise the ceiling in infra/bootstrap/ceiling.go", r.Name, requests[i].Action, requests[i].Resource, r.Result, r.Error)
		}
	}
}

// stageRoleRequests adds, for every Allow statement of every role policy of a's service
// templates, one request per action and resource, by that role within its stage's boundary.
func stageRoleRequests(t *testing.T, a *synthesized, requests *[]simRequest) {
	t.Helper()
	for _, name := range settings.Names {
		s := a.built[name].Settings
		tp := a.templates[name]
		res := resolver{stage: name, account: s.Account, region: s.Region, resources: tp["Resources"].(map[string]any)}
		boundary := bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-boundary")
		for id, pol := range tp.resources("AWS::IAM::Policy") {
			doc := get(pol, "Properties", "PolicyDocument")
			for _, st := range anySlice(get(doc, "Statement")) {
				if get(st, "Effect") != "Allow" {
					continue
				}
				literal, err := literalStatement(res, st)
				if err != nil {
					t.Errorf("%s %s: %v", name, id, err)
					continue
				}
				role := principal{arn: fmt.Sprintf("arn:aws:iam::%s:role/keel-%s-%s-AbCdEf", s.Account, name, id), boundaries: boundary,
					policies: []namedPolicy{{Name: id, Policy: map[string]any{"Version": "2012-10-17", "Statement": []any{literal}}}}}
				for _, action := range strs(literal["Action"]) {
					for _, resource := range strs(literal["Resource"]) {
						*requests = append(*requests, role.request(fmt.Sprintf("%s %s", name, id), action, resource, s.Account, stageContext(name, resource, literal)))
					}
				}
			}
		}
	}
}

// literalStatement is a policy statement with its resources resolved to literal ARNs.
func literalStatement(res resolver, st any) (map[string]any, error) {
	out := map[string]any{"Effect": "Allow", "Action": get(st, "Action")}
	var resources []any
	for _, r := range append(anySlice(get(st, "Resource")), singleton(get(st, "Resource"))...) {
		literal, err := res.resolve(r)
		if err != nil {
			return nil, err
		}
		resources = append(resources, literal)
	}
	out["Resource"] = resources
	if c, ok := get(st, "Condition").(map[string]any); ok {
		literal := map[string]any{}
		for op, kv := range c {
			values := map[string]any{}
			for k, v := range kv.(map[string]any) {
				if _, isList := v.([]any); isList {
					values[k] = v
					continue
				}
				l, err := res.resolve(v)
				if err != nil {
					return nil, err
				}
				values[k] = l
			}
			literal[op] = values
		}
		out["Condition"] = literal
	}
	return out, nil
}

// singleton wraps a lone resource (a string or one intrinsic) into a list.
func singleton(v any) []any {
	if v == nil {
		return nil
	}
	if _, ok := v.([]any); ok {
		return nil
	}
	return []any{v}
}

// stageContext is what IAM knows of a request by the stage's own role on its own resource:
// the resource's keel:stage tag, the stack that made it, and the values the grant's own
// StringEquals conditions expect (kms:ViaService, say).
func stageContext(stage, resource string, st map[string]any) map[string]any {
	ctx := map[string]any{}
	if resource != "*" && !strings.HasPrefix(resource, "arn:aws:ecr:") {
		stack := "keel-" + stage
		if strings.Contains(resource, ":secret:keel/") || strings.Contains(resource, ":kms:") {
			stack += "-foundation"
		}
		ctx["aws:ResourceTag/keel:stage"] = stage
		ctx["aws:ResourceTag/aws:cloudformation:stack-name"] = stack
	}
	if eq, ok := get(st, "Condition", "StringEquals").(map[string]any); ok {
		for k, v := range eq {
			if !slices.Contains([]string{"aws:ResourceTag/keel:stage"}, k) {
				ctx[k] = v
			}
		}
	}
	return ctx
}

// TestVaultReaderBoundary: the vault reader's key stays a read-only key for its prefix even
// after someone attaches an administrator's policy to the user (the attack the old layout
// allowed through iam:PutUserPolicy).
func TestVaultReaderBoundary(t *testing.T) {
	a := app(t)
	var requests []simRequest
	var want []string
	for _, name := range settings.Names {
		fnd, ok := a.foundation[name]
		if !ok {
			continue
		}
		s := a.built[name].Settings
		res := resolver{stage: name, account: s.Account, region: s.Region, resources: fnd["Resources"].(map[string]any)}
		policy := func(typ string) namedPolicy {
			t.Helper()
			for id, r := range fnd.resources(typ) {
				var literal []any
				for _, st := range anySlice(get(r, "Properties", "PolicyDocument", "Statement")) {
					l, err := literalStatement(res, st)
					if err != nil {
						t.Fatalf("%s %s: %v", name, id, err)
					}
					literal = append(literal, l)
				}
				return namedPolicy{Name: id, Policy: map[string]any{"Version": "2012-10-17", "Statement": literal}}
			}
			t.Fatalf("%s: no %s in the foundation", name, typ)
			return namedPolicy{}
		}
		reader := principal{arn: fmt.Sprintf("arn:aws:iam::%s:user/keel-%s-vault-reader", s.Account, name),
			policies:   []namedPolicy{policy("AWS::IAM::Policy"), {Name: "attached-later", Policy: allowAll}},
			boundaries: []namedPolicy{policy("AWS::IAM::ManagedPolicy")}}
		bucket, _ := res.ref(firstID(fnd, "AWS::S3::Bucket"), true)
		prefix := map[string]any{"s3:prefix": "keel/" + name + "/"}
		for _, c := range []struct {
			action, resource string
			ctx              map[string]any
			allowed          bool
		}{
			{"s3:GetObject", bucket + "/keel/" + name + "/current.json", nil, true},
			{"s3:ListBucket", bucket, prefix, true},
			{"s3:PutObject", bucket + "/keel/" + name + "/current.json", nil, false},
			{"s3:GetObject", bucket + "/keel/other/current.json", nil, false},
			{"s3:ListBucket", bucket, map[string]any{"s3:prefix": "keel/"}, false},
			{"iam:CreateAccessKey", fmt.Sprintf("arn:aws:iam::%s:user/keel-%s-vault-reader", s.Account, name), nil, false},
			{"secretsmanager:GetSecretValue", fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:keel/%s/vsync-passphrase-AbCdEf", s.Region, s.Account, name), nil, false},
		} {
			requests = append(requests, reader.request(name+" reader", c.action, c.resource, s.Account, c.ctx))
			want = append(want, map[bool]string{true: "Allowed", false: "denied"}[c.allowed])
		}
	}
	if len(requests) == 0 {
		t.Fatal("no stage has a foundation")
	}
	for i, r := range simulate(t, requests) {
		if got := map[bool]string{true: "Allowed", false: "denied"}[r.Result == "Allowed"]; got != want[i] || r.Result == "Error" {
			t.Errorf("%s: %s on %s is %s (%s), want %s", r.Name, requests[i].Action, requests[i].Resource, r.Result, r.Error, want[i])
		}
	}
}

func firstID(tp template, typ string) string {
	for id := range tp.resources(typ) {
		return id
	}
	return ""
}

// TestExecutionPolicyWithinBoundary: the bootstrap puts the boundary on CloudFormation's
// execution role too, so every action the execution policies grant must pass the boundary,
// or a deploy fails half-way. Each grant is tried on one instance of each of its resources,
// with the values its own conditions expect.
func TestExecutionPolicyWithinBoundary(t *testing.T) {
	a := app(t)
	var requests []simRequest
	for _, name := range settings.Names {
		s := a.built[name].Settings
		exec := principal{arn: fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", s.Account, s.Bootstrap.Qualifier, s.Account, s.Region),
			policies: bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-cfn-execution-"), boundaries: bootstrapPolicies(t, a.bootstrap[name], "keel-"+name+"-boundary")}
		for _, p := range exec.policies {
			for _, st := range statementsOf(p.Policy) {
				if st.Effect != "Allow" {
					continue
				}
				ctx := map[string]any{}
				for k, v := range st.Condition["StringEquals"] {
					if list, ok := v.([]any); ok && len(list) > 0 {
						v = list[0]
					}
					ctx[k] = v
				}
				for _, action := range st.Actions {
					for _, resource := range st.Resources {
						instance, c := strings.NewReplacer("*", "x", "?", "A").Replace(resource), ctx
						if resource == "*" {
							// An action on "*" reaches one of the stage's own resources (or
							// creates one): it carries the stage's tags.
							instance, c = "*", maps.Clone(ctx)
							c["aws:ResourceTag/keel:stage"] = name
						}
						if action == "route53:ChangeResourceRecordSets" {
							if s.HTTPS.DomainName == "" {
								continue // no DNS name: the boundary withholds record changes on purpose
							}
							c["route53:ChangeResourceRecordSetsNormalizedRecordNames"] = []string{s.HTTPS.DomainName}
						}
						requests = append(requests, exec.request(name+" "+st.Sid, action, instance, s.Account, c))
					}
				}
			}
		}
	}
	evaluated, unknown := map[string]bool{}, map[string]bool{}
	for i, r := range simulate(t, requests) {
		key := requests[i].Name + " " + requests[i].Action
		switch {
		case strings.Contains(r.Error, "no.resource.types"):
			// A bucket action tried on the object ARN of the same grant, or the reverse.
		case strings.Contains(r.Error, "invalid.action"):
			unknown[requests[i].Action] = true
		case r.Result != "Allowed":
			t.Errorf("%s: %s on %s is %s (%s): the execution policy grants it, the boundary does not; raise the ceiling in infra/bootstrap/ceiling.go", r.Name, requests[i].Action, requests[i].Resource, r.Result, r.Error)
			evaluated[key] = true
		default:
			evaluated[key] = true
		}
	}
	for i := range requests {
		if key := requests[i].Name + " " + requests[i].Action; !evaluated[key] && !unknown[requests[i].Action] {
			t.Errorf("%s: no resource of the grant fits %s, so it was never evaluated", requests[i].Name, requests[i].Action)
		}
	}
	if len(unknown) > 0 {
		// IAM cannot grant an action it does not know: neither policy can hold it for real.
		t.Logf("actions the simulator's IAM data does not know, not evaluated: %v", slices.Sorted(maps.Keys(unknown)))
	}
}

// dnsAttempt: a stage changes only its own records in a hosted zone the stages share.
func dnsAttempt(n stageNames) attempt {
	zone := "arn:aws:route53:::hostedzone/Z3M3LMPEXAMPLE"
	names := func(name string) map[string]any {
		return map[string]any{"route53:ChangeResourceRecordSetsNormalizedRecordNames": []string{name}}
	}
	target := n.otherDomain
	if target == "" {
		target = "www.example.com"
	}
	twin := call{"ecs:UpdateService", n.arn("ecs", "service/keel-"+n.stage+"/svc"), tagged(n.stage)}
	if n.domain != "" {
		twin = call{"route53:ChangeResourceRecordSets", zone, names("_0123abcd." + n.domain)}
	}
	return attempt{"point another stage's DNS name elsewhere", "exec", call{"route53:ChangeResourceRecordSets", zone, names(target)}, twin}
}
