package stage

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/alarms"
	"github.com/keelstack/keel/infra/delivery"
	"github.com/keelstack/keel/infra/ingress"
	"github.com/keelstack/keel/infra/service"
	"github.com/keelstack/keel/infra/settings"
)

// strategies maps the settings' names to ECS's.
var strategies = map[string]awsecs.DeploymentStrategy{
	settings.Rolling:   awsecs.DeploymentStrategy_ROLLING,
	settings.Canary:    awsecs.DeploymentStrategy_CANARY,
	settings.Linear:    awsecs.DeploymentStrategy_LINEAR,
	settings.BlueGreen: awsecs.DeploymentStrategy_BLUE_GREEN,
}

// newDelivery adds the second target group, the listener rules and the traffic role of a
// progressive strategy; nil for rolling.
func newDelivery(scope constructs.Construct, s settings.Stage, in *ingress.Ingress) *delivery.Delivery {
	d := s.Deployment
	if !d.Progressive() {
		return nil
	}
	props := delivery.Props{
		LoadBalancer:  in.LoadBalancer,
		SecurityGroup: in.SecurityGroup,
		Listener:      in.Listener,
		TargetGroup:   in.TargetGroup,
		Twin:          in,
	}
	if d.Strategy == settings.BlueGreen {
		props.TestListener = &delivery.TestListener{Port: d.TestListenerPort, CIDRs: d.TestListenerCIDRs, CertificateARN: s.CertificateARN}
	}
	return delivery.New(scope, "Delivery", props)
}

func serviceDeployment(d settings.Deployment, dl *delivery.Delivery) service.Deployment {
	if dl == nil {
		return service.Deployment{}
	}
	sd := service.Deployment{
		Strategy:             strategies[d.Strategy],
		Bake:                 minutes(d.BakeMinutes),
		AlternateTarget:      dl.AlternateTarget,
		AlternateTargetGroup: dl.AlternateTargetGroup,
	}
	switch d.Strategy {
	case settings.Canary:
		sd.Canary = &service.Shift{Percent: d.CanaryPercent, Bake: minutes(d.CanaryBakeMinutes)}
	case settings.Linear:
		sd.Linear = &service.Shift{Percent: d.LinearStepPercent, Bake: minutes(d.LinearStepBakeMinutes)}
	}
	return sd
}

func deploymentThresholds(a settings.DeploymentAlarms) alarms.DeploymentThresholds {
	return alarms.DeploymentThresholds{
		Target5xxPercent:     a.Target5xxPercent,
		MinRequestsPerMinute: a.MinRequestsPerMinute,
		P99Latency:           time.Duration(a.P99LatencyMilliseconds) * time.Millisecond,
		EvaluationMinutes:    a.EvaluationMinutes,
	}
}

// deploymentAlarmPrefix names a stage's deployment alarms (keel-prod-deployment-p99, ...).
func deploymentAlarmPrefix(stage string) string { return StackName(stage) + "-deployment" }

// alarmNames is the deployment alarms' names, space-separated (for aws cloudwatch
// describe-alarms --alarm-names).
func alarmNames(al *alarms.Alarms) *string {
	names := make([]*string, len(al.Deployment))
	for i, a := range al.Deployment {
		names[i] = a.AlarmName()
	}
	return awscdk.Fn_Join(jsii.String(" "), &names)
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }

// suppressDeliveryNag: the traffic role's only wildcard is the read-only Describe calls.
func suppressDeliveryNag(dl *delivery.Delivery) {
	if dl == nil {
		return
	}
	scopeNag(dl.Role, &wildcardActions{actions: []string{"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"},
		reason: "ECS's traffic role reads listeners, rules, target groups and target health with elasticloadbalancing:Describe*, which has no resource-level permissions (IAM requires Resource *); every write names this stack's target groups, listeners and rules."})
}

func alternateTargetGroup(dl *delivery.Delivery) elb.ApplicationTargetGroup {
	if dl == nil {
		return nil
	}
	return dl.AlternateTargetGroup
}
