package stage

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/bootstrap"
	"github.com/keelstack/keel/infra/settings"
)

// The services the service stack hands its roles to (task and execution roles, the flow log
// role, the role ECS assumes to shift load-balancer traffic, the scaling service-linked
// role), and the services whose service-linked roles its resources create.
var (
	passRoleServices   = []string{"application-autoscaling.amazonaws.com", "ecs-tasks.amazonaws.com", "ecs.amazonaws.com", "vpc-flow-logs.amazonaws.com"}
	serviceLinkedRoles = []string{"ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com"}
)

// newBootstrapStack holds the stage's execution policies and boundary. An administrator
// deploys it with their own credentials before `cdk bootstrap` (make bootstrap), so it uses
// no bootstrap role and no asset: CliCredentialsStackSynthesizer.
func newBootstrapStack(scope constructs.Construct, s settings.Stage) awscdk.Stack {
	stack := adminStack(scope, "Bootstrap", StackName(s.Name)+"-bootstrap", s,
		fmt.Sprintf("keel %s: the CloudFormation execution policies and permissions boundary of the %s bootstrap", s.Name, s.Bootstrap.Qualifier))
	b := bootstrap.New(stack, "Policies", bootstrap.Props{
		Stage:              s.Name,
		Qualifier:          s.Bootstrap.Qualifier,
		ServiceStack:       StackName(s.Name),
		PassRoleServices:   passRoleServices,
		ServiceLinkedRoles: serviceLinkedRoles,
		ResolvedSecrets:    []string{SmokeTokenName(s.Name)},
		ImportedSecretARNs: importedSecrets(s),
		Foundation:         foundationProtection(s),
		DomainName:         s.HTTPS.DomainName,
	})
	// What make bootstrap passes to cdk bootstrap, read from the assembly: literal values.
	stack.TemplateOptions().SetMetadata(&map[string]any{"keel:bootstrap": map[string]any{
		"qualifier":           s.Bootstrap.Qualifier,
		"toolkitStackName":    b.ToolkitStackName,
		"executionPolicyArns": b.ExecutionPolicyARNs,
		"permissionsBoundary": b.BoundaryName,
		"environment":         fmt.Sprintf("aws://%s/%s", s.Account, s.Region),
	}})
	suppressBootstrapNag(s.Name, b)
	return stack
}

// adminStack is a stack an administrator deploys with their own credentials: it needs no
// bootstrap (CliCredentialsStackSynthesizer uses the CLI's credentials and adds no bootstrap
// version rule), and the scoped bootstrap's execution role could not deploy it anyway. Always
// termination-protected: deleting it breaks the stage's delivery.
func adminStack(scope constructs.Construct, id, name string, s settings.Stage, description string) awscdk.Stack {
	return awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		StackName:             jsii.String(name),
		Description:           jsii.String(description),
		TerminationProtection: jsii.Bool(true),
		Synthesizer:           awscdk.NewCliCredentialsStackSynthesizer(&awscdk.CliCredentialsStackSynthesizerProps{Qualifier: jsii.String(s.Bootstrap.Qualifier)}),
	})
}

// scopeServiceStack makes the service stack use the stage's own bootstrap (its qualifier's
// roles, bucket and repository) and puts the boundary on every role it creates, which the
// execution policy requires of each role it may create.
func scopeServiceStack(stack awscdk.Stack, s settings.Stage) {
	awsiam.PermissionsBoundary_Of(stack).Apply(awsiam.ManagedPolicy_FromManagedPolicyName(stack, jsii.String("Boundary"), jsii.String(bootstrap.BoundaryName(s.Name))))
}

// warnAccountLayout shows each layout warning at synth, on prod's service stack.
func warnAccountLayout(built []Built, warnings []string) {
	for _, b := range built {
		if b.Settings.Name != "prod" {
			continue
		}
		for _, w := range warnings {
			awscdk.Annotations_Of(b.Stack).AddWarningV2(jsii.String("keel:account-layout"), jsii.String(w))
		}
	}
}

// foundationProtection names what the stage's foundation owns, for the boundary to protect.
func foundationProtection(s settings.Stage) bootstrap.Foundation {
	if s.Secrets.Imported() {
		return bootstrap.Foundation{}
	}
	n := s.FoundationNames()
	return bootstrap.Foundation{Stack: n.Stack, ReaderSecret: n.ReaderSecret, ReadOnlySecrets: []string{n.ConfigSecret, n.PassphraseSecret}}
}

// importedSecrets are the secrets an importing stage reads from outside keel/<stage>/.
func importedSecrets(s settings.Stage) []string {
	if !s.Secrets.Imported() {
		return nil
	}
	return []string{s.Secrets.ConfigARN, s.Secrets.PassphraseARN}
}
