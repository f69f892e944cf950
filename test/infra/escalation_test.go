package infra

import (
	"fmt"
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
		{"a shell in another stage's task", "hostile", call{"ecs:ExecuteCommand", n.arn("ecs", "task/keel-"+n.other+"/0123456789abcdef0123456789abcdef"), other}, call{"ecs:ExecuteCommand", n.arn("ecs", "task/keel-"+n.stage+"/0123456789abcdef0123456789abcdef"), own}},
		{"read another stage's logs", "hostile", call{"logs:GetLogEvents", n.arn("logs", "log-group:keel-"+n.other+"-Logs-AbC:log-stream:x"), other}, call{"logs:GetLogEvents", n.arn("logs", "log-group:keel-"+n.stage+"-Logs-AbC:log-stream:x"), own}},
		{"silence another stage's alarm topic", "exec", call{"sns:SetTopicAttributes", n.arn("sns", "keel-"+n.other+"-alarms"), other}, call{"sns:SetTopicAttributes", n.arn("sns", "keel-"+n.stage+"-alarms"), own}},
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
