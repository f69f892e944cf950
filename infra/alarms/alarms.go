// Package alarms provides a service's CloudWatch alarms: the deployment alarms that roll a
// bad deploy back (each target group's 5xx rate, p99 response time, unhealthy hosts), target
// and load balancer 5xx counts, and the tasks' CPU and memory.
package alarms

import (
	"errors"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
)

type Props struct {
	LoadBalancer elb.ApplicationLoadBalancer
	TargetGroup  elb.ApplicationTargetGroup
	// AlternateGroup is the second target group of a progressive strategy, if any.
	AlternateGroup elb.ApplicationTargetGroup
	Deployment     DeploymentThresholds
	// NamePrefix starts the deployment alarms' names (DeploymentAlarmNames).
	NamePrefix string
	// Topic, when set, is notified on ALARM and OK.
	Topic              awssns.ITopic
	Target5xxPerMinute int
	ELB5xxPerMinute    int
	CPUPercent         int
	MemoryPercent      int
	EvaluationMinutes  int
}

func (p Props) validate() error {
	if p.LoadBalancer == nil || p.TargetGroup == nil || p.NamePrefix == "" {
		return errors.New("alarms: LoadBalancer, TargetGroup and NamePrefix are required")
	}
	if p.EvaluationMinutes < 1 {
		return errors.New("alarms: EvaluationMinutes must be at least 1")
	}
	if d := p.Deployment; d.Target5xxPercent <= 0 || d.MinRequestsPerMinute < 1 || d.P99Latency <= 0 || d.EvaluationMinutes < 1 {
		return errors.New("alarms: the deployment thresholds need a 5xx percentage, a minimum request count, a p99 latency and at least 1 evaluation minute")
	}
	return nil
}

type Alarms struct {
	constructs.Construct
	// Deployment are the alarms ECS watches during a deployment to roll it back.
	Deployment []cw.IAlarm
	props      Props
	action     cw.IAlarmAction
}

// New creates the load balancer alarms. Call WatchService once the service exists: the
// deployment alarms must exist before the service that names them.
func New(scope constructs.Construct, id string, props Props) *Alarms {
	if err := props.validate(); err != nil {
		panic(err)
	}
	a := &Alarms{Construct: constructs.NewConstruct(scope, jsii.String(id)), props: props}
	if props.Topic != nil {
		a.action = awscloudwatchactions.NewSnsAction(props.Topic)
	}
	perMinute := &cw.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Sum")}
	// Counted at the load balancer, so that it sees the tasks of both target groups.
	a.alarm("Target5xx", "Targets answered 5xx", props.LoadBalancer.Metrics().HttpCodeTarget(elb.HttpCodeTarget_TARGET_5XX_COUNT, perMinute), props.Target5xxPerMinute)
	a.alarm("Elb5xx", "The load balancer answered 5xx itself (no healthy target, timeouts)", props.LoadBalancer.Metrics().HttpCodeElb(elb.HttpCodeElb_ELB_5XX_COUNT, perMinute), props.ELB5xxPerMinute)
	a.Deployment = a.deploymentAlarms()
	return a
}

// WatchService adds the CPU and memory alarms of svc.
func (a *Alarms) WatchService(svc awsecs.FargateService) {
	period := &cw.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))}
	a.alarm("Cpu", "Service CPU utilisation is high", svc.MetricCpuUtilization(period), a.props.CPUPercent)
	a.alarm("Memory", "Service memory utilisation is high", svc.MetricMemoryUtilization(period), a.props.MemoryPercent)
}

// alarm fires when the metric reaches threshold in every one of EvaluationMinutes periods.
// Missing data is not breaching: no requests means no errors.
func (a *Alarms) alarm(id, description string, metric cw.IMetric, threshold int) cw.Alarm {
	return a.alarmAt(id, "", description, metric, float64(threshold), a.props.EvaluationMinutes)
}

// alarmAt is alarm with a float threshold, its own number of periods and, unless empty, a
// fixed name.
func (a *Alarms) alarmAt(id, name, description string, metric cw.IMetric, threshold float64, periods int) cw.Alarm {
	var alarmName *string
	if name != "" {
		alarmName = jsii.String(name)
	}
	alarm := cw.NewAlarm(a.Construct, jsii.String(id), &cw.AlarmProps{
		AlarmName:          alarmName,
		Metric:             metric,
		AlarmDescription:   jsii.String(description),
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  cdkconv.Int(periods),
		ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
	})
	if a.action != nil {
		alarm.AddAlarmAction(a.action)
		alarm.AddOkAction(a.action)
	}
	return alarm
}
