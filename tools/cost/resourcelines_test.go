package cost

import (
	"math"
	"testing"
)

// TestNewLines: the target-tracking alarms, data out to the internet and interface endpoints,
// by hand at us-east-1's prices, and a per-resource breakdown that adds up to the total.
func TestNewLines(t *testing.T) {
	const more = `{"Resources": {
	  "Cpu": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {"PolicyType": "TargetTrackingScaling"}},
	  "Requests": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {"PolicyType": "TargetTrackingScaling"}},
	  "Step": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {"PolicyType": "StepScaling"}},
	  "Ecr": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]}},
	  "Logs": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b", "c"]}},
	  "S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}}
	}}`
	testUsage.InterfaceEndpointGB = 40
	defer func() { testUsage.InterfaceEndpointGB = 0 }()
	e := estimate(t, service, more)
	for _, tt := range []struct {
		item string
		usd  float64
	}{
		{"Target-tracking alarms", 2 * 2 * 0.10},                                           // two policies × high and low; the step policy's alarms are its own
		{"Data transfer out to the internet", 100.0 * 10 * 1024 * 730 * 3600 / gib * 0.09}, // 2,506 GB × $0.09
		{"VPC interface endpoint hours", (2 + 3) * 730 * 0.01},                             // 5 AZ-endpoints; the gateway endpoint is free
		{"VPC interface endpoint data processed", 40 * 0.01},
	} {
		if l := line(t, e, tt.item); math.Abs(l.MinUSD-tt.usd) > 1e-9 || math.Abs(l.MaxUSD-tt.usd) > 1e-9 {
			t.Errorf("%s: %.4f–%.4f USD, by hand %.4f", tt.item, l.MinUSD, l.MaxUSD, tt.usd)
		}
	}
	if len(e.Unpriced) != 0 {
		t.Errorf("unpriced: %v", e.Unpriced)
	}
	var lo, hi float64
	by := map[string]ResourceCost{}
	for _, r := range e.Resources {
		lo, hi = lo+r.MinUSD, hi+r.MaxUSD
		by[r.ID] = r
	}
	if math.Abs(lo-e.MinUSD) > 1e-9 || math.Abs(hi-e.MaxUSD) > 1e-9 {
		t.Errorf("the resources add up to %.4f–%.4f, the lines to %.4f–%.4f", lo, hi, e.MinUSD, e.MaxUSD)
	}
	if got, want := by["Logs"].MinUSD, 3*730*0.01+20*0.01; math.Abs(got-want) > 1e-9 {
		t.Errorf("the Logs endpoint costs %.4f, by hand %.4f (3 AZs, half the data)", got, want)
	}
	if _, ok := by["S3"]; ok {
		t.Error("the gateway endpoint carries a cost")
	}
	if len(e.NotPriced) == 0 {
		t.Error("the estimate does not say what it leaves out")
	}
}
