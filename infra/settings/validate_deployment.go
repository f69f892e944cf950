package settings

import (
	"math"
	"net/netip"
	"slices"
)

// ECS's limits on a deployment (ecs-deployments.md §6.3; API CanaryConfiguration,
// LinearConfiguration, DeploymentConfiguration) and CloudFormation's on the update that
// carries it.
const (
	MaxBakeMinutes       = 1440 // canaryBakeTimeInMinutes, stepBakeTimeInMinutes, bakeTimeInMinutes: 0 to 1440
	MinCanaryPercent     = 0.1  // canaryPercent: 0.1 to 100 in steps of 0.1
	MinLinearStepPercent = 3.0  // stepPercent: 3.0 to 100 in steps of 0.1
	// MaxDeploymentMinutes: CloudFormation rejects an ECS service update whose shift and bake
	// times add up to more than 33 hours (its own timeout is 36 h; CFN LinearConfiguration).
	MaxDeploymentMinutes = 33 * 60
	// MaxAlarmMinutes: an alarm on periods under an hour may evaluate at most one day
	// (CloudWatch PutMetricAlarm, EvaluationPeriods × Period ≤ 86,400 s).
	MaxAlarmMinutes = 24 * 60
)

var strategies = []string{Rolling, Canary, Linear, BlueGreen}

func (s Stage) validateDeployment(p *problems) {
	d := s.Deployment
	if !slices.Contains(strategies, d.Strategy) {
		p.add("deployment.strategy", quote(d.Strategy), "use one of %v", strategies)
		return
	}
	s.validateDeploymentAlarms(p)
	if !d.Progressive() {
		return
	}
	before := len(p.list)
	switch d.Strategy {
	case Canary:
		checkPercent(p, "deployment.canaryPercent", d.CanaryPercent, MinCanaryPercent)
		s.checkStepBake(p, "deployment.canaryBakeMinutes", d.CanaryBakeMinutes)
	case Linear:
		checkPercent(p, "deployment.linearStepPercent", d.LinearStepPercent, MinLinearStepPercent)
		s.checkStepBake(p, "deployment.linearStepBakeMinutes", d.LinearStepBakeMinutes)
	case BlueGreen:
		s.validateTestListener(p)
	}
	checkBake(p, "deployment.bakeMinutes", d.BakeMinutes)
	// ECS rolls back instantly (a re-weight) only while the old tasks run: they stop when the
	// bake ends. An alarm needs evaluationMinutes of full traffic on the new version to fire.
	if w := d.Alarms.EvaluationMinutes; d.BakeMinutes >= 0 && d.BakeMinutes < w {
		p.add("deployment.bakeMinutes", d.BakeMinutes,
			"the old tasks stop when the bake ends, before the deployment alarms (deployment.alarms.evaluationMinutes = %d) can judge the new version at full traffic, and a late rollback starts them cold; use at least %d",
			w, w)
	}
	// The sum is only worth reporting when each part is within its own range.
	if total := s.DeploymentMinutes(); len(p.list) == before && total > MaxDeploymentMinutes {
		p.add("deployment.bakeMinutes", d.BakeMinutes,
			"the deployment's shifts, bakes and drain add up to %d minutes, over CloudFormation's %d-minute (33 h) limit for one service update; shorten the bake times or use larger steps",
			total, MaxDeploymentMinutes)
	}
}

// DeploymentMinutes is the least time a progressive deployment holds the CloudFormation
// update open after the new tasks are healthy: the waits between traffic shifts, the bake
// after the last, and the old tasks' drain chain (deregistration delay, then stop timeout).
func (s Stage) DeploymentMinutes() int {
	d := s.Deployment
	waits := 0
	switch d.Strategy {
	case Canary:
		waits = d.CanaryBakeMinutes
	case Linear:
		waits = LinearWaits(d.LinearStepPercent) * d.LinearStepBakeMinutes
	}
	drain := int(math.Ceil(float64(s.Drain.DeregistrationDelaySeconds+s.Drain.StopTimeoutSeconds) / 60))
	return waits + d.BakeMinutes + drain
}

// LinearWaits is how many step bakes a linear deployment waits: none after the step that
// reaches 100 % (CFN LinearConfiguration: 100/step - 1 when step divides 100, else
// floor(100/step)).
func LinearWaits(stepPercent float64) int {
	tenths := int(math.Round(stepPercent * 10))
	if tenths <= 0 {
		return 0
	}
	if 1000%tenths == 0 {
		return 1000/tenths - 1
	}
	return 1000 / tenths
}

func checkPercent(p *problems, setting string, v, low float64) {
	tenths := v * 10
	if v < low || v > 100 || math.Abs(tenths-math.Round(tenths)) > 1e-9 {
		p.add(setting, v, "ECS accepts %.1f to 100 in steps of 0.1", low)
	}
}

func checkBake(p *problems, setting string, minutes int) {
	if minutes < 0 || minutes > MaxBakeMinutes {
		p.add(setting, minutes, "ECS accepts 0 to %d minutes (24 h)", MaxBakeMinutes)
	}
}

// checkStepBake: a step is judged on its own traffic only if the next shift waits for the
// alarms' window; a shorter bake moves more users to the new version before it can be judged.
func (s Stage) checkStepBake(p *problems, setting string, minutes int) {
	switch {
	case minutes < 0 || minutes > MaxBakeMinutes:
		checkBake(p, setting, minutes)
	case minutes < s.Deployment.Alarms.EvaluationMinutes:
		w := s.Deployment.Alarms.EvaluationMinutes
		p.add(setting, minutes, "the next traffic shift would come before the deployment alarms (deployment.alarms.evaluationMinutes = %d) can judge this step; use at least %d", w, w)
	}
}

func (s Stage) validateTestListener(p *problems) {
	d := s.Deployment
	if port := d.TestListenerPort; port < 1 || port > 65535 || port == 80 || port == 443 {
		p.add("deployment.testListenerPort", port, "use a free TCP port other than 80 and 443 (the production listeners), such as 9000")
	}
	if len(d.TestListenerCIDRs) == 0 {
		p.add("deployment.testListenerCidrs", d.TestListenerCIDRs,
			"blueGreen serves the new version on a test listener before production traffic; list who may reach it (the NAT gateways' Elastic IPs as x.x.x.x/32, a VPN range), or use canary")
	}
	for _, c := range d.TestListenerCIDRs {
		prefix, err := netip.ParsePrefix(c)
		switch {
		case err != nil || !prefix.Addr().Is4() || prefix.Masked() != prefix:
			p.add("deployment.testListenerCidrs", d.TestListenerCIDRs, "%q is not an IPv4 CIDR block such as 203.0.113.7/32", c)
		case prefix.Bits() < 8:
			p.add("deployment.testListenerCidrs", d.TestListenerCIDRs, "%q opens the test listener to the internet; the new version must not be reachable before its traffic shift: use /8 or narrower", c)
		}
	}
}

func (s Stage) validateDeploymentAlarms(p *problems) {
	a := s.Deployment.Alarms
	if a.Target5xxPercent <= 0 || a.Target5xxPercent > 100 {
		p.add("deployment.alarms.target5xxPercent", a.Target5xxPercent, "use a percentage in (0, 100]")
	}
	if a.MinRequestsPerMinute < 1 {
		p.add("deployment.alarms.minRequestsPerMinute", a.MinRequestsPerMinute, "use at least 1")
	}
	if a.P99LatencyMilliseconds < 10 {
		p.add("deployment.alarms.p99LatencyMilliseconds", a.P99LatencyMilliseconds, "use at least 10 (milliseconds)")
	}
	if a.EvaluationMinutes < 1 || a.EvaluationMinutes > MaxAlarmMinutes {
		p.add("deployment.alarms.evaluationMinutes", a.EvaluationMinutes,
			"use 1 to %d: CloudWatch evaluates at most a day of one-minute periods, and ECS watches the alarms this long after every deploy", MaxAlarmMinutes)
	}
}
