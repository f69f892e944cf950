// Package githubroles provides the roles GitHub Actions assumes for one stage through OIDC: a
// read-only diff role for pull requests and a deploy role for the stage's environment, each
// trusted only for one repository and that event or environment, and no longer-lived key.
package githubroles

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const githubOIDC = "token.actions.githubusercontent.com"

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
	// Qualifier is the CDK bootstrap qualifier (hnb659fds unless bootstrapped otherwise).
	Qualifier string
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
}

func New(scope constructs.Construct, id string, props Props) *Roles {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	providerARN := jsii.String(props.ProviderARN)
	if props.ProviderARN == "" {
		providerARN = awsiam.NewOidcProviderNative(c, jsii.String("GitHub"), &awsiam.OidcProviderNativeProps{
			Url:       jsii.String("https://" + githubOIDC),
			ClientIds: jsii.Strings("sts.amazonaws.com"),
		}).OidcProviderArn()
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

	r := &Roles{Construct: c}
	r.Diff = role(c, "Diff", "diff", providerARN, props, "pull_request", "read-only: cdk diff of "+props.ServiceStack+" on pull requests")
	r.Diff.AddToPrincipalPolicy(readStack)
	r.Diff.AddToPrincipalPolicy(assume(bootstrapRole("lookup")))

	r.Deploy = role(c, "Deploy", "deploy", providerARN, props, "environment:"+props.Stage, "deploys "+props.ServiceStack+" through the CDK bootstrap roles")
	r.Deploy.AddToPrincipalPolicy(readStack) // the smoke test reads the stack's outputs
	r.Deploy.AddToPrincipalPolicy(assume(bootstrapRole("deploy"), bootstrapRole("file-publishing"), bootstrapRole("image-publishing"), bootstrapRole("lookup")))
	if len(props.SecretARNs) > 0 {
		r.Deploy.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:DescribeSecret"),
			Resources: jsii.Strings(props.SecretARNs...),
		}))
	}
	return r
}

// role, named keel-<stage>-github-<purpose>, is trusted by GitHub's OIDC tokens for
// props.Repository with exactly this subject (pull_request, or environment:<stage>).
func role(scope constructs.Construct, id, purpose string, providerARN *string, props Props, subject, description string) awsiam.Role {
	principal := awsiam.NewWebIdentityPrincipal(providerARN, &map[string]any{
		"StringEquals": map[string]any{
			githubOIDC + ":aud": "sts.amazonaws.com",
			githubOIDC + ":sub": fmt.Sprintf("repo:%s:%s", props.Repository, subject),
		},
	})
	return awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		RoleName:           jsii.String(fmt.Sprintf("keel-%s-github-%s", props.Stage, purpose)),
		AssumedBy:          principal,
		Description:        jsii.String(description),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
}

func assume(arns ...*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("sts:AssumeRole"), Resources: &arns})
}
