package delivery

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// trafficRole is AmazonECSInfrastructureRolePolicyForLoadBalancers narrowed to this stack:
// the managed policy allows target registration on every target group and listener and rule
// changes on every ALB in the account; here each write names its resources. The Describe
// calls have no resource-level permissions (Service Authorization Reference, Elastic Load
// Balancing V2) and stay on "*".
func trafficRole(scope constructs.Construct, props Props, d *Delivery) awsiam.Role {
	role := awsiam.NewRole(scope, jsii.String("TrafficRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs.amazonaws.com"), nil),
		Description: jsii.String("ECS moves this service's traffic between its two target groups during a deployment; the stage's permissions boundary bounds it like every role of the stack (stage/bootstrap.go)"),
	})
	listeners := []*string{props.Listener.ListenerArn()}
	rules := []*string{d.ProductionRule.ListenerRuleArn()}
	if d.TestListener != nil {
		listeners = append(listeners, d.TestListener.ListenerArn())
		rules = append(rules, d.TestRule.ListenerRuleArn())
	}
	statements := []*awsiam.PolicyStatementProps{
		{
			Sid:       jsii.String("ReadLoadBalancing"),
			Actions:   jsii.Strings("elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"),
			Resources: jsii.Strings("*"),
		},
		{
			Sid:       jsii.String("RegisterTasks"),
			Actions:   jsii.Strings("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"),
			Resources: &[]*string{props.TargetGroup.TargetGroupArn(), d.AlternateTargetGroup.TargetGroupArn()},
		},
		{Sid: jsii.String("ShiftListeners"), Actions: jsii.Strings("elasticloadbalancing:ModifyListener"), Resources: &listeners},
		{Sid: jsii.String("ShiftRules"), Actions: jsii.Strings("elasticloadbalancing:ModifyRule"), Resources: &rules},
	}
	for _, s := range statements {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(s))
	}
	return role
}
