package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	alarmsPkg "github.com/keelstack/keel/infra/alarms"
	"github.com/keelstack/keel/infra/delivery"
	"github.com/keelstack/keel/infra/settings"
)

// TestDeploymentStrategy: each stage's strategy block is what its settings say, under
// CloudFormation's own property names (the rehearsal reads them), with the circuit breaker on.
func TestDeploymentStrategy(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		checkStrategy(t, s, tp.props(t, "AWS::ECS::Service"))
	})
}

func checkStrategy(t *testing.T, s settings.Stage, svc map[string]any) {
	t.Helper()
	dc := svc["DeploymentConfiguration"].(map[string]any)
	if jsonOf(dc["DeploymentCircuitBreaker"]) != `{"Enable":true,"Rollback":true}` {
		t.Errorf("circuit breaker = %s, want on with rollback", jsonOf(dc["DeploymentCircuitBreaker"]))
	}
	d := s.Deployment
	want := map[string]any{}
	switch d.Strategy {
	case settings.Rolling:
		for _, k := range []string{"Strategy", "BakeTimeInMinutes", "CanaryConfiguration", "LinearConfiguration"} {
			if dc[k] != nil && dc[k] != "ROLLING" {
				t.Errorf("rolling stage has %s = %s", k, jsonOf(dc[k]))
			}
		}
		if lb := get(svc, "LoadBalancers", 0, "AdvancedConfiguration"); lb != nil {
			t.Errorf("rolling stage has an alternate target: %s", jsonOf(lb))
		}
		return
	case settings.Canary:
		want["Strategy"] = "CANARY"
		want["CanaryConfiguration"] = map[string]any{"CanaryPercent": d.CanaryPercent, "CanaryBakeTimeInMinutes": float64(d.CanaryBakeMinutes)}
	case settings.Linear:
		want["Strategy"] = "LINEAR"
		want["LinearConfiguration"] = map[string]any{"StepPercent": d.LinearStepPercent, "StepBakeTimeInMinutes": float64(d.LinearStepBakeMinutes)}
	case settings.BlueGreen:
		want["Strategy"] = "BLUE_GREEN"
	}
	want["BakeTimeInMinutes"] = float64(d.BakeMinutes)
	for k, v := range want {
		if jsonOf(dc[k]) != jsonOf(v) {
			t.Errorf("DeploymentConfiguration.%s = %s, want %s", k, jsonOf(dc[k]), jsonOf(v))
		}
	}
	adv := get(svc, "LoadBalancers", 0, "AdvancedConfiguration")
	if !strings.Contains(jsonOf(get(adv, "AlternateTargetGroupArn")), `"Ref":"DeliveryAlternateTargetGroup`) ||
		!strings.Contains(jsonOf(get(adv, "ProductionListenerRule")), `"Ref":"DeliveryProductionRule`) ||
		!strings.Contains(jsonOf(get(adv, "RoleArn")), `"DeliveryTrafficRole`) {
		t.Errorf("AdvancedConfiguration = %s, want the alternate target group, the production rule and the traffic role", jsonOf(adv))
	}
	if !strings.Contains(jsonOf(get(svc, "LoadBalancers", 0, "TargetGroupArn")), `"Ref":"IngressTargetGroup`) {
		t.Errorf("production target group = %s", jsonOf(get(svc, "LoadBalancers", 0, "TargetGroupArn")))
	}
}

// TestTargetGroupsAreTwins: ECS moves tasks between the two groups, so both must check and
// drain alike; a rolling stage has one.
func TestTargetGroupsAreTwins(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		groups := tp.resources("AWS::ElasticLoadBalancingV2::TargetGroup")
		want := map[bool]int{true: 2, false: 1}[s.Deployment.Progressive()]
		if len(groups) != want {
			t.Fatalf("%d target groups, want %d for %s", len(groups), want, s.Deployment.Strategy)
		}
		var props []string
		for _, g := range groups {
			p := maps.Clone(g["Properties"].(map[string]any))
			delete(p, "Tags") // the template is shared: never change it
			props = append(props, jsonOf(p))
		}
		slices.Sort(props)
		if len(slices.Compact(slices.Clone(props))) != 1 {
			t.Errorf("target groups differ:\n%s", strings.Join(props, "\n"))
		}
	})
}

// TestProductionRule: one forward-only rule at priority >= 100 over both target groups,
// production at weight 1, the alternate at 0.
func TestProductionRule(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		rules := map[string]map[string]any{}
		for id, r := range tp.resources("AWS::ElasticLoadBalancingV2::ListenerRule") {
			if r["Properties"].(map[string]any)["Priority"].(float64) >= 100 {
				rules[id] = r // below 100 are the edge rules (https_test.go)
			}
		}
		if !s.Deployment.Progressive() {
			if len(rules) != 0 {
				t.Errorf("rolling stage has %d production listener rules", len(rules))
			}
			return
		}
		checkForwardRule(t, rules, "DeliveryProductionRule", "IngressLoadBalancerHttp")
	})
}

func checkForwardRule(t *testing.T, rules map[string]map[string]any, prefix, listener string) {
	t.Helper()
	for id, r := range rules {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		p := r["Properties"].(map[string]any)
		actions := p["Actions"].([]any)
		if len(actions) != 1 || get(actions, 0, "Type") != "forward" {
			t.Errorf("%s actions = %s, want one forward (ECS refuses rules mixing forward with redirect or fixed-response)", id, jsonOf(actions))
		}
		got := jsonOf(get(actions, 0, "ForwardConfig", "TargetGroups"))
		if !strings.Contains(got, `{"TargetGroupArn":{"Ref":"IngressTargetGroupF059788B"},"Weight":1}`) || !strings.Contains(got, `"Ref":"DeliveryAlternateTargetGroup`) || !strings.Contains(got, `"Weight":0}`) {
			t.Errorf("%s forwards to %s, want production weight 1 and the alternate weight 0", id, got)
		}
		if p["Priority"].(float64) < delivery.ProductionRulePriority {
			t.Errorf("%s priority %v, want >= %d (1-99 belong to the ingress)", id, p["Priority"], delivery.ProductionRulePriority)
		}
		if !strings.Contains(jsonOf(p["ListenerArn"]), listener) {
			t.Errorf("%s is on listener %s, want %s", id, jsonOf(p["ListenerArn"]), listener)
		}
		if jsonOf(p["Conditions"]) != `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/*"]}}]` {
			t.Errorf("%s conditions = %s", id, jsonOf(p["Conditions"]))
		}
		return
	}
	t.Errorf("no %s rule among %d rules", prefix, len(rules))
}

// TestTrafficRole: ECS alone assumes it; every write names this stack's target groups,
// listeners and rules; only the Describe calls (no resource-level permissions) are on "*".
func TestTrafficRole(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		if !s.Deployment.Progressive() {
			if r := tp.resources("AWS::IAM::Role"); strings.Contains(jsonOf(r), "elasticloadbalancing:Modify") {
				t.Error("a rolling stage has a traffic role")
			}
			return
		}
		checkTrafficRole(t, tp, []string{"IngressLoadBalancerHttp"}, []string{"DeliveryProductionRule"})
	})
}

func checkTrafficRole(t *testing.T, tp template, listeners, rules []string) {
	t.Helper()
	var role map[string]any
	for id, r := range tp.resources("AWS::IAM::Role") {
		if strings.HasPrefix(id, "DeliveryTrafficRole") {
			role = r["Properties"].(map[string]any)
		}
	}
	if got := jsonOf(get(role, "AssumeRolePolicyDocument", "Statement")); got != `[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"}}]` {
		t.Errorf("traffic role trust = %s", got)
	}
	if role["ManagedPolicyArns"] != nil {
		t.Errorf("traffic role has managed policies %s, want only its scoped policy", jsonOf(role["ManagedPolicyArns"]))
	}
	all := policy(t, tp, "DeliveryTrafficRoleDefaultPolicy")
	statements := map[string]map[string]any{}
	for _, st := range all {
		statements[get(st, "Sid").(string)] = st.(map[string]any)
	}
	check := func(sid, actions string, resources []string) {
		st := statements[sid]
		if jsonOf(st["Action"]) != actions || st["Effect"] != "Allow" || st["Condition"] != nil {
			t.Errorf("%s = %s, want %s", sid, jsonOf(st), actions)
		}
		got := jsonOf(st["Resource"])
		if n := strings.Count(got, `"Ref":`); n != len(resources) {
			t.Errorf("%s resources = %s, want exactly %v", sid, got, resources)
		}
		for _, r := range resources {
			if !strings.Contains(got, `"Ref":"`+r) {
				t.Errorf("%s resources = %s, want %s", sid, got, r)
			}
		}
	}
	if len(statements) != 4 {
		t.Errorf("traffic policy has %d statements, want 4: %s", len(statements), jsonOf(all))
	}
	if st := statements["ReadLoadBalancing"]; jsonOf(st["Resource"]) != `"*"` || !strings.Contains(jsonOf(st["Action"]), "elasticloadbalancing:Describe") || strings.Contains(jsonOf(st["Action"]), "Modify") {
		t.Errorf("ReadLoadBalancing = %s, want the Describe calls only on *", jsonOf(st))
	}
	check("RegisterTasks", `["elasticloadbalancing:DeregisterTargets","elasticloadbalancing:RegisterTargets"]`, []string{"DeliveryAlternateTargetGroup", "IngressTargetGroup"})
	check("ShiftListeners", `"elasticloadbalancing:ModifyListener"`, listeners)
	check("ShiftRules", `"elasticloadbalancing:ModifyRule"`, rules)
}

// TestDeploymentAlarmMath: the rate alarm is 5xx over requests per target group (a minute
// under the minimum counts as 0), the worst group wins, and so for p99 and unhealthy hosts.
func TestDeploymentAlarmMath(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		a := s.Deployment.Alarms
		alarms := map[string]map[string]any{}
		for id, r := range tp.resources("AWS::CloudWatch::Alarm") {
			alarms[id[:len(id)-8]] = r["Properties"].(map[string]any)
		}
		rate := alarms["AlarmsTarget5xxRate"]
		wantRate := fmt.Sprintf("IF(FILL(requests0, 0) >= %d, 100 * FILL(errors0, 0) / FILL(requests0, 1), 0)", a.MinRequestsPerMinute)
		exprs := expressions(rate)
		if !slices.Contains(exprs, wantRate) || rate["Threshold"] != a.Target5xxPercent {
			t.Errorf("5xx rate alarm: expressions %q threshold %v, want %q at %v", exprs, rate["Threshold"], wantRate, a.Target5xxPercent)
		}
		metrics := metricNames(rate)
		if !slices.Equal(metrics, []string{"HTTPCode_Target_5XX_Count", "RequestCount"}) && !slices.Equal(metrics, []string{"HTTPCode_Target_5XX_Count", "HTTPCode_Target_5XX_Count", "RequestCount", "RequestCount"}) {
			t.Errorf("5xx rate alarm metrics = %v", metrics)
		}
		p99 := alarms["AlarmsTargetP99"]
		if p99["Threshold"] != float64(a.P99LatencyMilliseconds)/1000 || !strings.Contains(jsonOf(p99), `"p99"`) {
			t.Errorf("p99 alarm = %s, want p99 over %d ms", jsonOf(p99), a.P99LatencyMilliseconds)
		}
		if s.Deployment.Progressive() {
			for name, want := range map[string]string{"AlarmsTarget5xxRate": "MAX([rate0, rate1])", "AlarmsTargetP99": "MAX([p990, p991])", "AlarmsUnhealthyHosts": "MAX([unhealthy0, unhealthy1])"} {
				al := alarms[name]
				if got := expressions(al); !slices.Contains(got, want) {
					t.Errorf("%s expressions %q, want %q (the worse target group)", name, got, want)
				}
				if !strings.Contains(jsonOf(al), `"DeliveryAlternateTargetGroup`) || !strings.Contains(jsonOf(al), `"IngressTargetGroupF059788B"`) {
					t.Errorf("%s does not watch both target groups", name)
				}
			}
			if alt := fmt.Sprintf("IF(FILL(requests1, 0) >= %d, 100 * FILL(errors1, 0) / FILL(requests1, 1), 0)", a.MinRequestsPerMinute); !slices.Contains(expressions(rate), alt) {
				t.Errorf("5xx rate alarm does not judge the alternate target group on its own requests: %q", expressions(rate))
			}
		}
		names := alarmsPkg.DeploymentAlarmNames("keel-" + s.Name + "-deployment")
		if got := jsonOf(get(map[string]any(tp), "Outputs", "DeploymentAlarmNames", "Value")); got != `{"Fn::Join":[" ",[{"Ref":"AlarmsTarget5xxRate3EAE9A85"},{"Ref":"AlarmsTargetP99E2F2C8FD"},{"Ref":"AlarmsUnhealthyHosts1E0DE23C"}]]}` {
			t.Errorf("output DeploymentAlarmNames = %s, want the three alarms (make deploy reads it)", got)
		}
		for i, name := range []string{"AlarmsTarget5xxRate", "AlarmsTargetP99", "AlarmsUnhealthyHosts"} {
			al := alarms[name]
			if al["AlarmName"] != names[i] {
				t.Errorf("%s is named %v, want %s (the deploy role may read exactly these)", name, al["AlarmName"], names[i])
			}
			// Recover one minute after the cause: ECS ignores an alarm already in ALARM.
			if al["TreatMissingData"] != "notBreaching" || al["EvaluationPeriods"] != float64(a.EvaluationMinutes) || al["DatapointsToAlarm"] != nil {
				t.Errorf("%s: missing %v, periods %v, datapoints %v", name, al["TreatMissingData"], al["EvaluationPeriods"], al["DatapointsToAlarm"])
			}
		}
	})
}

func expressions(alarm map[string]any) []string {
	var out []string
	for _, m := range anySlice(alarm["Metrics"]) {
		if e, ok := get(m, "Expression").(string); ok {
			out = append(out, e)
		}
	}
	return out
}

func metricNames(alarm map[string]any) []string {
	var out []string
	for _, m := range anySlice(alarm["Metrics"]) {
		if n, ok := get(m, "MetricStat", "Metric", "MetricName").(string); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// TestDeliveryNeedsALoadBalancer: a progressive strategy without the load balancer side is
// refused with what is missing and the fix.
func TestDeliveryNeedsALoadBalancer(t *testing.T) {
	err := delivery.Props{}.Validate()
	if err == nil || !strings.Contains(err.Error(), "listener rule") || !strings.Contains(err.Error(), "rolling") {
		t.Errorf("Validate() = %v, want the missing load balancer and the rolling fix", err)
	}
}

// checkBlueGreen: the variant's strategy block, its test listener (HTTPS like production,
// a 404 default, the forward rule) open to the configured block alone, and the traffic role
// covering both listeners and both rules.
func checkBlueGreen(t *testing.T, s settings.Stage, tp template) {
	svc := tp.props(t, "AWS::ECS::Service")
	checkStrategy(t, s, svc)
	if got := jsonOf(get(svc, "LoadBalancers", 0, "AdvancedConfiguration", "TestListenerRule")); !strings.Contains(got, `"Ref":"DeliveryTestRule`) {
		t.Errorf("TestListenerRule = %s", got)
	}
	var test map[string]any
	for id, l := range tp.resources("AWS::ElasticLoadBalancingV2::Listener") {
		if strings.Contains(id, "Test") {
			test = l["Properties"].(map[string]any)
		}
	}
	if test["Port"] != float64(s.Deployment.TestListenerPort) || test["Protocol"] != "HTTPS" || get(test, "DefaultActions", 0, "Type") != "fixed-response" {
		t.Errorf("test listener = %s, want HTTPS on %d answering 404 by default", jsonOf(test), s.Deployment.TestListenerPort)
	}
	checkForwardRule(t, tp.resources("AWS::ElasticLoadBalancingV2::ListenerRule"), "DeliveryTestRule", "IngressLoadBalancerTest")
	checkTrafficRole(t, tp, []string{"IngressLoadBalancerHttps", "IngressLoadBalancerTest"}, []string{"DeliveryProductionRule", "DeliveryTestRule"})
	port := float64(s.Deployment.TestListenerPort)
	var sources []string
	for id, sg := range tp.resources("AWS::EC2::SecurityGroup") {
		for _, r := range anySlice(get(sg, "Properties", "SecurityGroupIngress")) {
			if get(r, "FromPort") == port || get(r, "ToPort") == port {
				sources = append(sources, fmt.Sprintf("%s<-%v%v", id[:len("IngressLoadBalancerSecurityGroup")], get(r, "CidrIp"), get(r, "CidrIpv6")))
			}
		}
	}
	if want := []string{"IngressLoadBalancerSecurityGroup<-" + testCIDR + "<nil>"}; !slices.Equal(sources, want) {
		t.Errorf("test listener reachable from %v, want %v only", sources, want)
	}
	if n := len(outsideDatabase(tp.resources("AWS::EC2::SecurityGroupIngress"))); n != 1 {
		t.Errorf("%d separate ingress rules, want only load balancer to tasks", n)
	}
}

// TestLinearWaits: no wait after the step that reaches 100 % (CFN LinearConfiguration).
func TestLinearWaits(t *testing.T) {
	for step, want := range map[float64]int{25: 3, 10: 9, 3: 33, 30: 3, 33.3: 3, 100: 0, 50: 1} {
		if got := settings.LinearWaits(step); got != want {
			t.Errorf("LinearWaits(%v) = %d, want %d", step, got, want)
		}
	}
}
