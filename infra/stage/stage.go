// Package stage assembles the app: one awscdk.Stage per stage setting, each holding the
// service stack built from the constructs and checked by cdk-nag's AwsSolutions pack.
package stage

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/keelstack/keel/infra/alarms"
	"github.com/keelstack/keel/infra/githubroles"
	"github.com/keelstack/keel/infra/settings"
)

// Image says how the container image is built: the repository root's Dockerfile as an asset.
type Image struct {
	// RepoRoot holds Dockerfile and .dockerignore (which keeps the context to app/).
	RepoRoot string
	// BuildArgs stamp the binary (VERSION, COMMIT, BUILD_DATE). They are part of the asset hash:
	// derive them from the app's sources, never from the clock.
	BuildArgs map[string]string
}

// Built is one stage as added to the app.
type Built struct {
	Settings settings.Stage
	Stack    awscdk.Stack // the service
	GitHub   awscdk.Stack // the roles GitHub Actions assumes
	// Bootstrap holds the execution policies and boundary of the stage's scoped bootstrap.
	Bootstrap awscdk.Stack
	// Foundation is the vault bucket, reader and secrets; nil when the stage imports its
	// secrets.
	Foundation awscdk.Stack
}

// Build validates every stage's settings from the app's context and adds the stages to app.
// Nothing is added when a setting is invalid.
func Build(app awscdk.App, context map[string]any, img Image) ([]Built, error) {
	stages, err := settings.FromContext(context)
	if err != nil {
		return nil, err
	}
	built := make([]Built, len(stages))
	for i, s := range stages {
		built[i] = New(app, s, img)
	}
	warnAccountLayout(built, settings.AccountWarnings(stages))
	return built, nil
}

// New adds one stage, named after s, with its service stack.
func New(app awscdk.App, s settings.Stage, img Image) Built {
	st := awscdk.NewStage(app, jsii.String(s.Name), &awscdk.StageProps{
		Env: &awscdk.Environment{Account: jsii.String(s.Account), Region: jsii.String(s.Region)},
	})
	// The zones are a setting: answer the CDK's zone lookup from it, so that synth never
	// needs AWS credentials and a diff never depends on what a lookup returned that day.
	st.Node().SetContext(jsii.String(fmt.Sprintf("availability-zones:account=%s:region=%s", s.Account, s.Region)), s.AvailabilityZones)
	awscdk.Tags_Of(st).Add(jsii.String("keel:stage"), jsii.String(s.Name), nil)
	stack := newServiceStack(st, s, img)
	github := newGitHubStack(st, s)
	boot := newBootstrapStack(st, s)
	var fnd awscdk.Stack
	if !s.Secrets.Imported() {
		fnd = newFoundationStack(st, s)
	}
	// Aspects do not cross stage boundaries: the checks are attached to each stage.
	awscdk.Aspects_Of(st).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return Built{Settings: s, Stack: stack, GitHub: github, Bootstrap: boot, Foundation: fnd}
}

// StackName is the CloudFormation stack name of a stage's service stack.
func StackName(stage string) string { return "keel-" + stage }

// SmokeTokenName is the Secrets Manager name of the stage's smoke token (see ingress).
func SmokeTokenName(stage string) string { return "keel/" + stage + "/smoke-token" }

// newGitHubStack holds the stage's GitHub Actions roles. An administrator deploys it once
// (make deploy-roles) with their own credentials (no bootstrap role can change these roles);
// CI deploys only the service stack, so a merged change cannot widen the roles CI itself
// runs with.
func newGitHubStack(scope constructs.Construct, s settings.Stage) awscdk.Stack {
	stack := adminStack(scope, "GitHub", StackName(s.Name)+"-github", s,
		fmt.Sprintf("keel %s: roles GitHub Actions assumes through OIDC (diff on pull requests, deploy from the %s environment)", s.Name, s.Name))
	roles := githubroles.New(stack, "Roles", githubroles.Props{
		Repository:   s.GitHub.Repository,
		Stage:        s.Name,
		ServiceStack: StackName(s.Name),
		ProviderARN:  s.GitHub.OIDCProviderARN,
		Qualifier:    s.Bootstrap.Qualifier,
		// make deploy reads them before it starts
		DeploymentAlarms: alarms.DeploymentAlarmNames(deploymentAlarmPrefix(s.Name)),
		SmokeToken:       SmokeTokenName(s.Name),
		SecretARNs:       describableSecrets(stack, s),
	})
	output(stack, "DiffRoleArn", roles.Diff.RoleArn(), "GitHub variable "+strings.ToUpper(s.Name)+"_DIFF_ROLE_ARN (scripts/github-setup sets it)")
	output(stack, "DeployRoleArn", roles.Deploy.RoleArn(), "GitHub variable DEPLOY_ROLE_ARN of the "+s.Name+" environment (scripts/github-setup sets it)")
	operator := githubroles.NewOperator(stack, "Operator", operatorProps(s))
	output(stack, "OperatorRoleArn", operator.RoleArn(), "keel status, logs and releases: grant people sts:AssumeRole on it")
	// What scripts/github-setup reads from the assembly: literal values, no tokens.
	arn := func(purpose string) string {
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", *stack.Partition(), s.Account, githubroles.RoleName(s.Name, purpose))
	}
	stack.TemplateOptions().SetMetadata(&map[string]any{"keel:github": map[string]any{
		"stage": s.Name, "repository": s.GitHub.Repository, "region": s.Region,
		"deployRoleArn": arn("deploy"), "diffRoleArn": arn("diff"),
		"deploySubject": githubroles.DeploySubject(s.GitHub.Repository, s.Name), "diffSubject": githubroles.DiffSubject(s.GitHub.Repository),
	}})
	suppressGitHubNag(roles)
	return stack
}
