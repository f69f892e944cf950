package bootstrap

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// statement is one IAM policy statement as JSON.
type statement = map[string]any

// IAM actions the stack may call on its own roles, by the condition they carry. Only the
// actions that support the iam:PermissionsBoundary condition key (IAM service authorization
// reference, "Actions defined by AWS Identity and Access Management") are in the first group:
// each of them requires the role to carry the stage's boundary.
var (
	withBoundary = []string{"iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"}
	// rdsSecretActions are what RDS calls on the caller's behalf to create a managed master secret.
	rdsSecretActions = []string{"secretsmanager:CreateSecret", "secretsmanager:TagResource"}
	ownRoles         = []string{"iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"}
)

// executionStatements: each service's handler actions, IAM split by the rules above, S3
// limited to the stage's buckets, and the bootstrap version parameter; then the explicit
// denials. No statement allows a wildcard action.
func executionStatements(props Props, a arns) []statement {
	byService := actionsByService()
	var out []statement
	for _, service := range sortedKeys(byService) {
		actions := byService[service]
		switch service {
		case "iam":
			out = append(out, iamStatements(actions, props, a)...)
		case "s3":
			// CloudFormation names a bucket without a BucketName "<stack name>-<logical ID>-<suffix>"
			// in lowercase; the stack is keel-<stage>.
			prefix := fmt.Sprintf("arn:%s:s3:::keel-%s-", a.partition, a.stage)
			out = append(out, allow("S3", actions, []string{prefix + "*", prefix + "*/*"}, nil))
		case "secretsmanager":
			out = append(out, secretStatements(actions, props, a)...)
		default:
			out = append(out, allow(sid(service), actions, []string{"*"}, nil))
		}
	}
	out = append(out, allow("BootstrapVersion", []string{"ssm:GetParameters"}, []string{a.bootstrapVersion(props.Qualifier)}, nil))
	out = append(out, deny("ProtectedIAM", []string{"iam:*"}, protectedIAM(a), nil))
	return append(out, foundationDenials(props, a)...)
}

// secretStatements limits the secret handlers to the stage's own secrets (keel/<stage>/...),
// and reading a value to the secrets the template's dynamic references name: CloudFormation
// resolves {{resolve:secretsmanager:...}} with this role, so with GetSecretValue on more, a
// template could copy the vault passphrase or the reader's key into a resource it controls.
// GetRandomPassword has no resource (Service Authorization Reference, AWS Secrets Manager).
func secretStatements(actions []string, props Props, a arns) []statement {
	var random, read, scoped []string
	for _, action := range actions {
		switch action {
		case "secretsmanager:GetRandomPassword":
			random = append(random, action)
		case "secretsmanager:GetSecretValue":
			read = append(read, action)
		default:
			scoped = append(scoped, action)
		}
	}
	out := []statement{allow("SecretsManager", scoped, []string{a.secret("keel/" + a.stage + "/*")}, nil)}
	// RDS names the master secrets it manages rds!cluster-... and rds!db-... and creates them
	// with the caller's permissions: create and tag only, never read.
	if rds := slices.DeleteFunc(slices.Clone(scoped), func(a string) bool { return !slices.Contains(rdsSecretActions, a) }); len(rds) > 0 {
		out = append(out, allow("RDSManagedSecrets", rds, []string{a.secret("rds!*")}, nil))
	}
	if len(read) > 0 && len(props.ResolvedSecrets) > 0 {
		named := make([]string, len(props.ResolvedSecrets))
		for i, name := range props.ResolvedSecrets {
			named[i] = a.secret(name + "-??????")
		}
		out = append(out, allow("ResolvedSecrets", read, named, nil))
	}
	if len(random) > 0 {
		out = append(out, allow("SecretsManagerRandom", random, []string{"*"}, nil))
	}
	return out
}

// iamStatements places every IAM action of the handlers under its rule, and panics on one it
// has no rule for: a new IAM action needs a deliberate decision here, not a wildcard.
func iamStatements(actions []string, props Props, a arns) []statement {
	var boundary, own []string
	var out []statement
	for _, action := range actions {
		switch {
		case slices.Contains(withBoundary, action):
			boundary = append(boundary, action)
		case slices.Contains(ownRoles, action):
			own = append(own, action)
		case action == "iam:PassRole":
			out = append(out, allow("PassOwnRoles", []string{action}, []string{a.stageRoles(), a.iam("role/aws-service-role/*")},
				statement{"StringEquals": statement{"iam:PassedToService": props.PassRoleServices}}))
		case action == "iam:CreateServiceLinkedRole":
			out = append(out, allow("ServiceLinkedRoles", []string{action}, []string{a.iam("role/aws-service-role/*")},
				statement{"StringEquals": statement{"iam:AWSServiceName": props.ServiceLinkedRoles}}))
		default:
			panic(fmt.Sprintf("bootstrap: no rule for %s: decide in infra/bootstrap/statements.go which roles and conditions it gets", action))
		}
	}
	return append([]statement{
		allow("OwnRolesWithBoundary", boundary, []string{a.stageRoles()}, statement{"StringEquals": statement{"iam:PermissionsBoundary": a.boundary()}}),
		allow("OwnRoles", own, []string{a.stageRoles()}, nil),
	}, out...)
}

// protectedIAM is what no role of a stage may change: every stage's GitHub roles, boundary and
// execution policies, every bootstrap's roles, and the account's GitHub OIDC provider.
func protectedIAM(a arns) []string {
	return []string{
		a.iam("role/keel-*-github-*"),
		a.iam("role/cdk-*"),
		a.iam("policy/keel-*"),
		a.iam("oidc-provider/token.actions.githubusercontent.com"),
	}
}

func allow(sid string, actions, resources []string, condition statement) statement {
	return withCondition(statement{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}, condition)
}

func deny(sid string, actions, resources []string, condition statement) statement {
	return withCondition(statement{"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": resources}, condition)
}

func withCondition(s, condition statement) statement {
	if condition != nil {
		s["Condition"] = condition
	}
	return s
}

func document(statements []statement) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": statements}
}

// maxPolicyChars keeps each managed policy under IAM's 6,144-character limit (whitespace
// excluded; IAM and STS quotas), with room for the document's envelope.
const maxPolicyChars = 6000

// pack fills documents in order, starting a new one when the next statement would not fit.
func pack(statements []statement, limit int) []map[string]any {
	var docs []map[string]any
	var current []statement
	size := 0
	for _, s := range statements {
		b, _ := json.Marshal(s)
		if len(current) > 0 && size+len(b)+1 > limit {
			docs = append(docs, document(current))
			current, size = nil, 0
		}
		current = append(current, s)
		size += len(b) + 1
	}
	return append(docs, document(current))
}

// sid turns a service prefix into a statement ID (letters and digits only).
func sid(service string) string {
	var b strings.Builder
	up := true
	for _, r := range service {
		if r == '-' {
			up = true
			continue
		}
		if up {
			r = []rune(strings.ToUpper(string(r)))[0]
		}
		b.WriteRune(r)
		up = false
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
