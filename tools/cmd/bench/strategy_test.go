package main

import "testing"

func TestStrategyFloor(t *testing.T) {
	service := func(dc map[string]any) map[string]any {
		return map[string]any{"Resources": map[string]any{
			"Tg": map[string]any{"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": map[string]any{
				"HealthCheckIntervalSeconds": 10.0, "HealthyThresholdCount": 2.0,
				"TargetGroupAttributes": []any{map[string]any{"Key": "deregistration_delay.timeout_seconds", "Value": "45"}},
			}},
			"Svc": map[string]any{"Type": "AWS::ECS::Service", "Properties": map[string]any{"DeploymentConfiguration": dc}},
		}}
	}
	tests := []struct {
		name string
		dc   map[string]any
		want float64
		ok   bool
	}{
		{"rolling", map[string]any{"MaximumPercent": 200.0}, 0, false},
		// 20 s healthy + 10 min canary bake + 10 min bake + 45 s drain
		{"canary", map[string]any{"Strategy": "CANARY", "CanaryConfiguration": map[string]any{"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 10.0}, "BakeTimeInMinutes": 10.0}, 20 + 1200 + 45, true},
		// 25 % steps: 3 waits of 3 min (none after 100 %), then a 5 min bake
		{"linear", map[string]any{"Strategy": "LINEAR", "LinearConfiguration": map[string]any{"StepPercent": 25.0, "StepBakeTimeInMinutes": 3.0}, "BakeTimeInMinutes": 5.0}, 20 + 9*60 + 5*60 + 45, true},
		// 30 % steps: 30, 60, 90, 100: 3 waits
		{"linear, uneven", map[string]any{"Strategy": "LINEAR", "LinearConfiguration": map[string]any{"StepPercent": 30.0, "StepBakeTimeInMinutes": 1.0}, "BakeTimeInMinutes": 0.0}, 20 + 3*60 + 45, true},
		{"blue/green", map[string]any{"Strategy": "BLUE_GREEN", "BakeTimeInMinutes": 15.0}, 20 + 15*60 + 45, true},
	}
	for _, tt := range tests {
		p, ok := strategyParams(service(tt.dc))
		if ok != tt.ok || ok && p.floor() != tt.want {
			t.Errorf("%s: floor %v (progressive %v), want %v (%v)", tt.name, p.floor(), ok, tt.want, tt.ok)
		}
	}
}
