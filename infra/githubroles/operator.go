package githubroles

import (
	"errors"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// OperatorProps configure the stage's read-only operator role.
type OperatorProps struct {
	Stage string
	// ServiceStack is the stack whose stage the operator looks at (keel-STAGE); its resources'
	// generated names start with it.
	ServiceStack string
	// FoundationStack and VaultPrefix locate the vault's latest.meta, whose generation keel
	// status compares with the one served; empty when the stage imports its secrets.
	FoundationStack, VaultPrefix string
}

// OperatorActions are what `keel status`, `keel logs` and `keel releases` call (README, "keel
// and IAM"): reads only. Rollback and drift detection are not among them. s3:GetObject reads
// only the vault's latest.meta (a generation number); with a customer managed key the
// operator also needs kms:Decrypt on it, which this role does not grant.
var OperatorActions = []string{
	"cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:ListStackResources",
	"ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:ListTasks", "ecs:DescribeTasks",
	"ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments", "ecs:DescribeServiceRevisions",
	"elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeRules",
	"cloudwatch:DescribeAlarms", "logs:FilterLogEvents", "s3:GetObject",
}

// OperatorRoleName is the operator role's name in the stage's account.
func OperatorRoleName(stage string) string { return "keel-" + stage + "-operator" }

// NewOperator adds a role that people of the stage's account assume (an administrator grants
// sts:AssumeRole on it, e.g. through a permission set) to run the read-only day-2 commands.
func NewOperator(scope constructs.Construct, id string, props OperatorProps) awsiam.Role {
	if props.Stage == "" || props.ServiceStack == "" {
		panic(errors.New("githubroles: the operator role needs Stage and ServiceStack"))
	}
	role := awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		RoleName:           jsii.String(OperatorRoleName(props.Stage)),
		AssumedBy:          awsiam.NewAccountRootPrincipal(),
		Description:        jsii.String("read-only: keel status, logs and releases of " + props.ServiceStack),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	stack := awscdk.Stack_Of(role)
	arn := func(service, resource, name string, format awscdk.ArnFormat) *string {
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name), ArnFormat: format})
	}
	slash, colon := awscdk.ArnFormat_SLASH_RESOURCE_NAME, awscdk.ArnFormat_COLON_RESOURCE_NAME
	stacks := []*string{arn("cloudformation", "stack", props.ServiceStack+"/*", slash)}
	if props.FoundationStack != "" {
		stacks = append(stacks, arn("cloudformation", "stack", props.FoundationStack+"/*", slash))
		// S3 ARNs name no region or account; the foundation's bucket name is generated from its stack's.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:GetObject"),
			Resources: jsii.Strings("arn:" + *stack.Partition() + ":s3:::" + props.FoundationStack + "-*/" + props.VaultPrefix + "latest.meta")}))
	}
	for _, st := range []struct {
		actions   []string
		resources []*string
	}{
		{OperatorActions[0:3], stacks},
		// The cluster's and service's names are generated from the stack's: keel-STAGE-….
		{[]string{"ecs:DescribeServices", "ecs:ListServiceDeployments"}, []*string{arn("ecs", "service", props.ServiceStack+"-*/*", slash)}},
		{[]string{"ecs:DescribeServiceDeployments"}, []*string{arn("ecs", "service-deployment", props.ServiceStack+"-*/*", slash)}},
		{[]string{"ecs:DescribeServiceRevisions"}, []*string{arn("ecs", "service-revision", props.ServiceStack+"-*/*", slash)}},
		{[]string{"ecs:DescribeTasks"}, []*string{arn("ecs", "task", props.ServiceStack+"-*/*", slash)}},
		{[]string{"ecs:ListTasks"}, []*string{arn("ecs", "container-instance", props.ServiceStack+"-*/*", slash)}},
		{[]string{"cloudwatch:DescribeAlarms"}, []*string{arn("cloudwatch", "alarm", props.ServiceStack+"-*", colon)}},
		{[]string{"logs:FilterLogEvents"}, []*string{arn("logs", "log-group", props.ServiceStack+"-*", colon)}},
		// These support no resource-level permissions (Service Authorization Reference).
		{[]string{"ecs:DescribeTaskDefinition", "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeRules"}, []*string{jsii.String("*")}},
	} {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(st.actions...), Resources: &st.resources}))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("read-only describe/list actions: ECS task definitions and the load balancer's Describe calls take no resource; " +
			"the stage's other resources carry CloudFormation-generated names under the stack's prefix"),
	}}, jsii.Bool(true))
	return role
}
