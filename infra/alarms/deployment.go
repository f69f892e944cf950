package alarms

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/jsii-runtime-go"
)

// DeploymentThresholds are the limits past which ECS rolls a deployment back.
type DeploymentThresholds struct {
	// Target5xxPercent of one target group's requests answered 5xx by its tasks.
	Target5xxPercent float64
	// MinRequestsPerMinute below which a minute's rate counts as 0: two requests and one
	// failure is not a 50 % error rate.
	MinRequestsPerMinute int
	// P99Latency is the target response time 99 % of one target group's requests stay under.
	P99Latency time.Duration
	// EvaluationMinutes must all breach. ECS also watches the alarms this long after the new
	// version is complete, so it is a floor under every deploy's duration.
	EvaluationMinutes int
}

// DeploymentAlarmNames are the deployment alarms' names for a prefix: fixed, so that the
// deploy role can be allowed to read exactly these (make deploy checks them first).
func DeploymentAlarmNames(prefix string) []string {
	return []string{prefix + "-5xx-rate", prefix + "-p99", prefix + "-unhealthy-hosts"}
}

// deploymentAlarms judges each target group on its own traffic. ECS registers a new version
// with whichever target group is idle (the two swap roles on every deployment), so each
// alarm takes the worse of the two groups: a 5 % canary failing every request shows as a
// 100 % rate on its group, not as 5 % of the whole. During a rolling update there is one
// group and the old and new tasks share it.
//
// ECS ignores an alarm that is already in ALARM when a deployment starts (Deployment alarms,
// ECS developer guide). These alarms clear one minute after their cause does: every period
// is one minute, all Deployment.EvaluationMinutes periods must breach, and a minute without
// enough requests or without data counts as fine. `make deploy` refuses to start while one is in
// ALARM (scripts/deployment-alarms-clear).
func (a *Alarms) deploymentAlarms() []cw.IAlarm {
	d := a.props.Deployment
	names := DeploymentAlarmNames(a.props.NamePrefix)
	groups := []elb.ApplicationTargetGroup{a.props.TargetGroup}
	if a.props.AlternateGroup != nil {
		groups = append(groups, a.props.AlternateGroup)
	}
	rate := a.alarmAt("Target5xxRate", names[0],
		fmt.Sprintf("Deployment: over %g %% of a target group's requests answered 5xx (minutes with fewer than %d requests count as 0)", d.Target5xxPercent, d.MinRequestsPerMinute),
		worst(groups, "rate", func(i int, tg elb.ApplicationTargetGroup) cw.IMetric { return errorRate(i, tg, d.MinRequestsPerMinute) }),
		d.Target5xxPercent, d.EvaluationMinutes)
	latency := a.alarmAt("TargetP99", names[1],
		fmt.Sprintf("Deployment: a target group's p99 response time is over %v", d.P99Latency),
		worst(groups, "p99", func(_ int, tg elb.ApplicationTargetGroup) cw.IMetric {
			return tg.Metrics().TargetResponseTime(&cw.MetricOptions{Period: minute(), Statistic: jsii.String("p99")})
		}),
		d.P99Latency.Seconds(), d.EvaluationMinutes)
	unhealthy := a.alarmAt("UnhealthyHosts", names[2], "Deployment: targets failed the ALB health check",
		worst(groups, "unhealthy", func(_ int, tg elb.ApplicationTargetGroup) cw.IMetric {
			return tg.Metrics().UnhealthyHostCount(&cw.MetricOptions{Period: minute(), Statistic: jsii.String("Maximum")})
		}), 1, d.EvaluationMinutes)
	return []cw.IAlarm{rate, latency, unhealthy}
}

// errorRate is 100 x 5xx / requests of one target group per minute, or 0 in a minute with
// fewer than minRequests requests.
func errorRate(i int, tg elb.ApplicationTargetGroup, minRequests int) cw.IMetric {
	sum := &cw.MetricOptions{Period: minute(), Statistic: jsii.String("Sum")}
	e, r := fmt.Sprintf("errors%d", i), fmt.Sprintf("requests%d", i)
	return cw.NewMathExpression(&cw.MathExpressionProps{
		Expression: jsii.String(fmt.Sprintf("IF(FILL(%[2]s, 0) >= %[3]d, 100 * FILL(%[1]s, 0) / FILL(%[2]s, 1), 0)", e, r, minRequests)),
		UsingMetrics: &map[string]cw.IMetric{
			e: tg.Metrics().HttpCodeTarget(elb.HttpCodeTarget_TARGET_5XX_COUNT, sum),
			r: tg.Metrics().RequestCount(sum),
		},
		Period: minute(),
		Label:  jsii.String("5xx %"),
	})
}

// worst is the per-minute maximum of metric over the groups (the metric itself for one).
func worst(groups []elb.ApplicationTargetGroup, name string, metric func(int, elb.ApplicationTargetGroup) cw.IMetric) cw.IMetric {
	if len(groups) == 1 {
		return metric(0, groups[0])
	}
	using := map[string]cw.IMetric{}
	ids := make([]string, len(groups))
	for i, tg := range groups {
		ids[i] = fmt.Sprintf("%s%d", name, i)
		using[ids[i]] = metric(i, tg)
	}
	return cw.NewMathExpression(&cw.MathExpressionProps{
		Expression:   jsii.String("MAX([" + strings.Join(ids, ", ") + "])"),
		UsingMetrics: &using,
		Period:       minute(),
		Label:        jsii.String("worst target group " + name),
	})
}

func minute() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(1)) }
