// Package githubroles provides the roles GitHub Actions assumes for one stage through OIDC: a
// diff role that reads the stage's service stack and nothing else, and a deploy role that may
// only assume the stage's own bootstrap roles. Each trusts one OIDC subject: the repository,
// the event or environment, the ref (main for the deploy), and the workflow file at main (the
// repository's subject template, set by scripts/github-setup, includes ref and
// job_workflow_ref).
package githubroles

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const githubOIDC = "token.actions.githubusercontent.com"

// The workflows the roles trust, and the branch they must run from.
const (
	DeployWorkflow = ".github/workflows/deploy-stage.yml"
	DiffWorkflow   = ".github/workflows/diff.yml"
	Branch         = "main"
)

// SubjectClaims is the repository's OIDC subject template (include_claim_keys): GitHub then
// issues sub = "repo:<owner/name>:<context>:ref:<ref>:job_workflow_ref:<owner/name>/<workflow>@<ref>",
// where context is "environment:<name>" for a job with an environment and "pull_request" for
// a pull-request job without one, ref is the ref the run was triggered for, and
// job_workflow_ref names the reusable workflow a job runs at its ref (GitHub, "OpenID Connect
// reference", customizing the subject claims). IAM evaluates no claim of GitHub's token but
// aud and sub ("Support for custom claims for OIDC is unavailable in AWS"), so the ref must
// be in the subject: job_workflow_ref alone names the workflow file's ref, which a run on
// another branch can still point at main.
var SubjectClaims = []string{"repo", "context", "ref", "job_workflow_ref"}

// DeploySubject is the subject of the deploy job: deploy-stage.yml from main, run for a push
// to main, in the stage's environment.
func DeploySubject(repository, stage string) string {
	return subject(repository, "environment:"+stage, "refs/heads/"+Branch, DeployWorkflow)
}

// DiffSubject is the subject of the diff job: diff.yml from main, called by a pull request
// (whose ref is refs/pull/<number>/merge: the diff role's trust matches it with StringLike).
// Calling it at main (not the pull request's copy) means the code that holds the diff role is
// the reviewed one.
func DiffSubject(repository string) string {
	return subject(repository, "pull_request", "refs/pull/*/merge", DiffWorkflow)
}

func subject(repository, context, ref, workflow string) string {
	return fmt.Sprintf("repo:%s:%s:ref:%s:job_workflow_ref:%s/%s@refs/heads/%s", repository, context, ref, repository, workflow, Branch)
}

var repositoryRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

type Props struct {
	// Repository is owner/name on GitHub.
	Repository string
	// Stage names the GitHub environment the deploy role trusts, and the roles.
	Stage string
	// ServiceStack is the stack the diff reads and the deploy updates.
	ServiceStack string
	// ProviderARN imports the account's GitHub OIDC provider; empty creates it (one per
	// account: with several stages in one account, create it in one and import it elsewhere).
	ProviderARN string
	// Qualifier is the stage's CDK bootstrap qualifier.
	Qualifier string
	// DeploymentAlarms are the alarm names make deploy reads before it starts (ECS ignores
	// an alarm already in ALARM).
	DeploymentAlarms []string
	// SmokeToken is the name of the secret the deploy job's smoke check sends to the load
	// balancer; the deploy role may read it and no other secret.
	SmokeToken string
	// SecretARNs are the secrets the service reads: the deploy role may describe them (never
	// read their values), so that `make deploy` can refuse while one holds its placeholder.
	SecretARNs []string
}

func (p Props) validate() error {
	if !repositoryRE.MatchString(p.Repository) {
		return fmt.Errorf("githubroles: Repository %q must be owner/name", p.Repository)
	}
	if p.Stage == "" || p.ServiceStack == "" || p.Qualifier == "" {
		return errors.New("githubroles: Stage, ServiceStack and Qualifier are required")
	}
	return nil
}

type Roles struct {
	constructs.Construct
	Diff, Deploy awsiam.Role
	// Provider is the OIDC provider this construct created (nil when imported).
	Provider awsiam.OidcProviderNative
}

// RoleName is the name of a stage's role for purpose "diff" or "deploy".
func RoleName(stage, purpose string) string { return fmt.Sprintf("keel-%s-github-%s", stage, purpose) }

func New(scope constructs.Construct, id string, props Props) *Roles {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	r := &Roles{Construct: c}
	providerARN := jsii.String(props.ProviderARN)
	if props.ProviderARN == "" {
		r.Provider = awsiam.NewOidcProviderNative(c, jsii.String("GitHub"), &awsiam.OidcProviderNativeProps{
			Url:       jsii.String("https://" + githubOIDC),
			ClientIds: jsii.Strings("sts.amazonaws.com"),
		})
		// The provider is the account's, not the stage's: the other stages' roles in this
		// account trust it too, so deleting this stack must leave it in place.
		r.Provider.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
		providerARN = r.Provider.OidcProviderArn()
	}
	stack := awscdk.Stack_Of(c)
	bootstrapRole := func(kind string) *string {
		return jsii.String(fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-%s-role-%s-%s", *stack.Partition(), *stack.Account(), props.Qualifier, kind, *stack.Account(), *stack.Region()))
	}
	serviceStack := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(props.ServiceStack + "/*")})
	readStack := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("cloudformation:DescribeStacks", "cloudformation:GetTemplate"),
		Resources: &[]*string{serviceStack},
	})

	// The diff reads the deployed template with its own credentials (scripts/ci-diff) and
	// compares offline (cdk diff --template): no lookup role, whose ReadOnlyAccess would
	// show every object and log in the account to a pull request.
	r.Diff = role(c, "Diff", RoleName(props.Stage, "diff"), providerARN, DiffSubject(props.Repository), "read-only: the deployed template of "+props.ServiceStack+", for pull-request diffs")
	r.Diff.AddToPrincipalPolicy(readStack)

	r.Deploy = role(c, "Deploy", RoleName(props.Stage, "deploy"), providerARN, DeploySubject(props.Repository, props.Stage), "deploys "+props.ServiceStack+" through the stage's own CDK bootstrap roles")
	r.Deploy.AddToPrincipalPolicy(readStack) // the smoke test reads the stack's outputs
	if len(props.DeploymentAlarms) > 0 {
		r.Deploy.AddToPrincipalPolicy(readAlarms(stack, props.DeploymentAlarms))
	}
	if props.SmokeToken != "" {
		// Secrets Manager appends "-" and 6 characters to the name in the ARN.
		r.Deploy.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("secretsmanager"), Resource: jsii.String("secret"), ResourceName: jsii.String(props.SmokeToken + "-??????"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})},
		}))
	}
	r.Deploy.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: &[]*string{bootstrapRole("deploy"), bootstrapRole("file-publishing"), bootstrapRole("image-publishing")},
	}))
	if len(props.SecretARNs) > 0 {
		r.Deploy.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:DescribeSecret"),
			Resources: jsii.Strings(props.SecretARNs...),
		}))
	}
	return r
}

// role is trusted by GitHub's OIDC tokens with exactly this audience and subject.
func role(scope constructs.Construct, id, name string, providerARN *string, subject, description string) awsiam.Role {
	conditions := map[string]any{"StringEquals": map[string]any{githubOIDC + ":aud": "sts.amazonaws.com", githubOIDC + ":sub": subject}}
	if strings.Contains(subject, "*") {
		conditions = map[string]any{
			"StringEquals": map[string]any{githubOIDC + ":aud": "sts.amazonaws.com"},
			"StringLike":   map[string]any{githubOIDC + ":sub": subject},
		}
	}
	principal := awsiam.NewWebIdentityPrincipal(providerARN, &conditions)
	return awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		RoleName:           jsii.String(name),
		AssumedBy:          principal,
		Description:        jsii.String(description),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
}

// readAlarms lets make deploy check that no deployment alarm is in ALARM before it starts.
// DescribeAlarms takes alarm ARNs as resources for metric alarms (only composite alarms need
// "*"; Service Authorization Reference, Amazon CloudWatch).
func readAlarms(stack awscdk.Stack, names []string) awsiam.PolicyStatement {
	arns := make([]*string, len(names))
	for i, n := range names {
		arns[i] = stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String(n), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: &arns})
}
