package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/ingress"
	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/infra/waf"
)

// TestAdmissionEnvironment: each stage's task gets limits derived from its vCPU (64 per vCPU,
// at least 8; a backlog as deep) and the request deadline, in the app's variable names.
func TestAdmissionEnvironment(t *testing.T) {
	wantInflight := map[string]string{"dev": "16", "staging": "32", "prod": "64"} // 0.25, 0.5 and 1 vCPU
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		env := map[string]string{}
		for _, e := range container(t, tp)["Environment"].([]any) {
			if v, ok := get(e, "Value").(string); ok { // DB_HOST is the database's GetAtt
				env[get(e, "Name").(string)] = v
			}
		}
		want := map[string]string{
			"ADMISSION_MAX_INFLIGHT": wantInflight[s.Name], "ADMISSION_BACKLOG": wantInflight[s.Name],
			"ADMISSION_MAX_WAIT": "500ms", "REQUEST_TIMEOUT": "10s",
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s = %q, want %q", k, env[k], v)
			}
		}
	})
}

// TestScalingCooldowns: every target tracking policy carries the stage's cooldowns, and the
// request-count target follows the documented rule (70 % of the measured knee × vCPU × 60 s).
func TestScalingCooldowns(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		for id, p := range tp.resources("AWS::ApplicationAutoScaling::ScalingPolicy") {
			cfg := get(p, "Properties", "TargetTrackingScalingPolicyConfiguration")
			if get(cfg, "ScaleOutCooldown") != float64(s.Scaling.ScaleOutCooldownSeconds) || get(cfg, "ScaleInCooldown") != float64(s.Scaling.ScaleInCooldownSeconds) {
				t.Errorf("%s: cooldowns out %v in %v, want %d and %d", id, get(cfg, "ScaleOutCooldown"), get(cfg, "ScaleInCooldown"), s.Scaling.ScaleOutCooldownSeconds, s.Scaling.ScaleInCooldownSeconds)
			}
		}
		rule := int(0.7 * settings.KneeRequestsPerSecondPerVCPU * float64(s.Task.CPU) / 1024 * 60)
		if got := s.Scaling.RequestsPerTargetFor(s.Task.CPU); got != rule {
			t.Errorf("requests per target %d, the rule gives %d", got, rule)
		}
	})
}

// TestWAF: prod (only, by default) has a web ACL on its load balancer with AWS's three managed
// rule groups and a rate limit per client IP, logging to an aws-waf-logs- group with the
// stage's retention and without the smoke token or credentials.
func TestWAF(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		acls := tp.resources("AWS::WAFv2::WebACL")
		if !s.WAF.Enabled {
			if len(acls) != 0 {
				t.Fatalf("WAF off, but %d web ACLs", len(acls))
			}
			return
		}
		acl := tp.props(t, "AWS::WAFv2::WebACL")
		var names []string
		for _, r := range acl["Rules"].([]any) {
			name := get(r, "Name").(string)
			if group := get(r, "Statement", "ManagedRuleGroupStatement", "Name"); group != nil {
				name = "managed:" + group.(string)
			}
			if rate := get(r, "Statement", "RateBasedStatement"); rate != nil {
				name = fmt.Sprintf("rate:%v/%v:%v:block=%v", get(rate, "Limit"), get(rate, "EvaluationWindowSec"), get(rate, "AggregateKeyType"), get(r, "Action", "Block") != nil)
			}
			names = append(names, name)
		}
		want := []string{"managed:AWSManagedRulesAmazonIpReputationList", fmt.Sprintf("rate:%d/300:IP:block=true", s.WAF.RequestsPerIPPerFiveMinutes),
			"managed:AWSManagedRulesKnownBadInputsRuleSet", "managed:AWSManagedRulesCommonRuleSet"}
		if !slices.Equal(names, want) || acl["Scope"] != "REGIONAL" || get(acl, "DefaultAction", "Allow") == nil {
			t.Errorf("web ACL rules %v scope %v default %v; want %v, REGIONAL, allow", names, acl["Scope"], jsonOf(acl["DefaultAction"]), want)
		}
		assoc := tp.props(t, "AWS::WAFv2::WebACLAssociation")
		lbs := tp.resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
		for id := range lbs {
			if jsonOf(assoc["ResourceArn"]) != fmt.Sprintf(`{"Ref":%q}`, id) {
				t.Errorf("association ResourceArn %s, want the load balancer %s", jsonOf(assoc["ResourceArn"]), id)
			}
		}
		logging := tp.props(t, "AWS::WAFv2::LoggingConfiguration")
		var group map[string]any
		for id, g := range tp.resources("AWS::Logs::LogGroup") {
			if strings.Contains(jsonOf(logging["LogDestinationConfigs"]), `"Ref":"`+id+`"`) {
				group = g["Properties"].(map[string]any)
			}
		}
		if group == nil || group["LogGroupName"] != waf.LogGroupPrefix+"keel-"+s.Name || group["RetentionInDays"] != float64(s.Logs.RetentionDays) {
			t.Errorf("WAF log group %s, want %skeel-%s kept %d days", jsonOf(group), waf.LogGroupPrefix, s.Name, s.Logs.RetentionDays)
		}
		if strings.Contains(jsonOf(logging["LogDestinationConfigs"]), ":*") {
			t.Errorf("log destination %s: WAF rejects a log group ARN ending in :*", jsonOf(logging["LogDestinationConfigs"]))
		}
		redacted := jsonOf(logging["RedactedFields"])
		for _, h := range []string{strings.ToLower(ingress.SmokeHeader), "authorization", "cookie"} {
			if !strings.Contains(redacted, `{"SingleHeader":{"Name":"`+h+`"}}`) {
				t.Errorf("WAF logs keep the %s header: redacted %s", h, redacted)
			}
		}
	})
}
