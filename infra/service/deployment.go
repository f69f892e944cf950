package service

import (
	"errors"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
)

// Deployment is how ECS replaces the service's tasks. The zero value is a rolling update.
// The other strategies start the new version in full beside the old one, behind
// AlternateTarget's target group, and move traffic to it: Canary in two shifts, Linear in
// equal steps, blue/green (neither set) at once; Bake keeps the old version after the last
// shift. The circuit breaker and the deployment alarms stay on for all of them.
type Deployment struct {
	Strategy        awsecs.DeploymentStrategy // "" is ROLLING
	Canary, Linear  *Shift
	Bake            time.Duration
	AlternateTarget awsecs.IAlternateTarget
	// AlternateTargetGroup is AlternateTarget's group: production traffic runs through it
	// after every other deployment, so the service scales on its requests too.
	AlternateTargetGroup elb.ApplicationTargetGroup
}

// Shift is a traffic step: Percent of production traffic, then Bake before the next.
type Shift struct {
	Percent float64
	Bake    time.Duration
}

func (d Deployment) progressive() bool {
	return d.Strategy != "" && d.Strategy != awsecs.DeploymentStrategy_ROLLING
}

func (d Deployment) validate() error {
	switch {
	case d.progressive() && (d.AlternateTarget == nil || d.AlternateTargetGroup == nil):
		return errors.New("service: the " + string(d.Strategy) + " strategy needs an AlternateTarget and its AlternateTargetGroup (a second target group and the production listener rule)")
	case !d.progressive() && d.AlternateTarget != nil:
		return errors.New("service: an AlternateTarget needs a CANARY, LINEAR or BLUE_GREEN strategy")
	case (d.Canary != nil) != (d.Strategy == awsecs.DeploymentStrategy_CANARY), (d.Linear != nil) != (d.Strategy == awsecs.DeploymentStrategy_LINEAR):
		return errors.New("service: Canary goes with the CANARY strategy and Linear with LINEAR, each required there")
	}
	return nil
}

func (d Deployment) apply(sp *awsecs.FargateServiceProps) {
	if !d.progressive() {
		return
	}
	sp.DeploymentStrategy = d.Strategy
	sp.BakeTime = cdkconv.Minutes(d.Bake)
	sp.CanaryConfiguration = d.Canary.config()
	sp.LinearConfiguration = d.Linear.config()
}

func (s *Shift) config() *awsecs.TrafficShiftConfig {
	if s == nil {
		return nil
	}
	return &awsecs.TrafficShiftConfig{StepPercent: jsii.Number(s.Percent), StepBakeTime: cdkconv.Minutes(s.Bake)}
}

// attachToTargetGroup registers the tasks with the production target group; with an
// alternate target, ECS registers each new version's tasks with whichever of the two groups
// is idle and shifts the production rule to it.
func attachToTargetGroup(svc awsecs.FargateService, props Props) {
	if props.Deployment.AlternateTarget == nil {
		svc.AttachToApplicationTargetGroup(props.TargetGroup)
		return
	}
	props.TargetGroup.AddTarget(svc.LoadBalancerTarget(&awsecs.LoadBalancerTargetOptions{
		ContainerName:   svc.TaskDefinition().DefaultContainer().ContainerName(),
		ContainerPort:   cdkconv.Int(props.Port),
		AlternateTarget: props.Deployment.AlternateTarget,
	}))
}
