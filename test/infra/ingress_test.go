package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

func TestTargetGroupHealthCheck(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		hasProps(t, app(t).built[s.Name], "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{
			"HealthCheckPath":            "/healthz",
			"HealthCheckIntervalSeconds": s.HealthCheck.IntervalSeconds,
			"HealthCheckTimeoutSeconds":  s.HealthCheck.TimeoutSeconds,
			"HealthyThresholdCount":      s.HealthCheck.HealthyThreshold,
			"UnhealthyThresholdCount":    s.HealthCheck.UnhealthyThreshold,
			"Matcher":                    map[string]any{"HttpCode": "200"},
			"TargetType":                 "ip",
			"Port":                       s.App.Port,
			"TargetGroupAttributes": []any{
				map[string]any{"Key": "deregistration_delay.timeout_seconds", "Value": fmt.Sprint(s.Drain.DeregistrationDelaySeconds)},
				map[string]any{"Key": "stickiness.enabled", "Value": "false"},
			},
		})
	})
}

func TestLoadBalancer(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		lb := tp.props(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		attrs := map[string]string{}
		for _, a := range lb["LoadBalancerAttributes"].([]any) {
			attrs[get(a, "Key").(string)] = fmt.Sprint(get(a, "Value"))
		}
		if lb["Scheme"] != "internet-facing" || attrs["routing.http.drop_invalid_header_fields.enabled"] != "true" ||
			attrs["access_logs.s3.enabled"] != "true" || attrs["deletion_protection.enabled"] != fmt.Sprint(s.Protect) {
			t.Errorf("load balancer = %s %v", lb["Scheme"], attrs)
		}
		if attrs["routing.http.desync_mitigation_mode"] != "defensive" {
			t.Errorf("desync mitigation mode = %q, want defensive", attrs["routing.http.desync_mitigation_mode"])
		}
		listeners := listenersByPort(tp)
		http := listeners[80]
		if !s.ServesHTTPS() {
			if len(listeners) != 1 || http["Protocol"] != "HTTP" || get(http, "DefaultActions", 0, "Type") != "forward" {
				t.Errorf("listeners = %s, want HTTP 80 forwarding only (no HTTPS in this stage)", jsonOf(listeners))
			}
		}
		bucket := tp.props(t, "AWS::S3::Bucket")
		if got := jsonOf(get(bucket, "LifecycleConfiguration", "Rules", 0, "ExpirationInDays")); got != fmt.Sprint(s.Logs.RetentionDays) {
			t.Errorf("access logs expire after %s days, want %d", got, s.Logs.RetentionDays)
		}
		if get(bucket, "VersioningConfiguration", "Status") != "Enabled" || get(bucket, "NotificationConfiguration", "EventBridgeConfiguration", "EventBridgeEnabled") != true {
			t.Errorf("access-log bucket versioning/notifications = %s %s", jsonOf(bucket["VersioningConfiguration"]), jsonOf(bucket["NotificationConfiguration"]))
		}
	})
}

// TestSecurityGroups checks that tasks accept traffic from the load balancer alone, on the
// container port, and that the load balancer accepts 80 (and 443 with a certificate) only.
func TestSecurityGroups(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		ingress := outsideDatabase(tp.resources("AWS::EC2::SecurityGroupIngress"))
		if len(ingress) != 1 {
			t.Fatalf("%d separate ingress rules, want 1 (load balancer to tasks)", len(ingress))
		}
		for _, r := range ingress {
			p := r["Properties"].(map[string]any)
			if p["FromPort"] != float64(s.App.Port) || p["ToPort"] != float64(s.App.Port) || !strings.Contains(jsonOf(p["SourceSecurityGroupId"]), "IngressLoadBalancerSecurityGroup") || p["CidrIp"] != nil {
				t.Errorf("task ingress = %s, want port %d from the load balancer's group only", jsonOf(p), s.App.Port)
			}
		}
		for id, sg := range tp.resources("AWS::EC2::SecurityGroup") {
			rules, _ := get(sg, "Properties", "SecurityGroupIngress").([]any)
			switch {
			case strings.HasPrefix(id, "IngressLoadBalancerSecurityGroup"):
				want := []float64{80}
				if s.ServesHTTPS() {
					want = []float64{443, 80}
				}
				var ports []float64
				for _, r := range rules {
					if get(r, "CidrIp") == "0.0.0.0/0" {
						ports = append(ports, get(r, "FromPort").(float64))
					}
				}
				if len(rules) != len(want) || !slices.Equal(ports, want) {
					t.Errorf("load balancer ingress = %s, want %v from anywhere only", jsonOf(rules), want)
				}
			case len(rules) != 0:
				t.Errorf("%s has inline ingress %s", id, jsonOf(rules))
			}
		}
	})
}
