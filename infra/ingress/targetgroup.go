package ingress

import (
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
)

// TwinTargetGroup makes, in scope, a target group that checks and drains exactly like the
// production one: ECS's blue/green strategies move tasks and traffic between the two, so
// they must judge a task the same way.
func (in *Ingress) TwinTargetGroup(scope constructs.Construct, id string) elb.ApplicationTargetGroup {
	return newTargetGroup(scope, id, in.props)
}

func newTargetGroup(scope constructs.Construct, id string, props Props) elb.ApplicationTargetGroup {
	return elb.NewApplicationTargetGroup(scope, jsii.String(id), &elb.ApplicationTargetGroupProps{
		Vpc:                 props.Vpc,
		TargetType:          elb.TargetType_IP,
		Protocol:            elb.ApplicationProtocol_HTTP,
		Port:                cdkconv.Int(props.Port),
		DeregistrationDelay: cdkconv.Seconds(props.DeregistrationDelay),
		HealthCheck: &elb.HealthCheck{
			Path:                    jsii.String(props.HealthCheck.Path),
			Interval:                cdkconv.Seconds(props.HealthCheck.Interval),
			Timeout:                 cdkconv.Seconds(props.HealthCheck.Timeout),
			HealthyThresholdCount:   cdkconv.Int(props.HealthCheck.HealthyThreshold),
			UnhealthyThresholdCount: cdkconv.Int(props.HealthCheck.UnhealthyThreshold),
			HealthyHttpCodes:        jsii.String("200"),
		},
	})
}
