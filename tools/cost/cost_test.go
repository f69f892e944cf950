package cost

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// service is a small stage: one Fargate service of x86 tasks, 2 of them Spot-weighted, behind
// an internet-facing ALB in 3 subnets, with one NAT gateway and its Elastic IP.
const service = `{"Resources": {
  "Svc": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": {"Ref": "Task"},
    "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1}, {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
    "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED"}}}},
  "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "512", "Memory": "1024"}},
  "Scale": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {"MinCapacity": 1, "MaxCapacity": 5,
    "ResourceId": {"Fn::Join": ["", ["service/", {"Fn::GetAtt": ["Svc", "Name"]}]]}}},
  "Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Scheme": "internet-facing", "Subnets": ["a", "b", "c"]}},
  "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
  "Eip": {"Type": "AWS::EC2::EIP", "Properties": {}},
  "Math": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": [
    {"Id": "e", "Expression": "m1/m2"}, {"Id": "m1", "MetricStat": {"Period": 60}}, {"Id": "m2", "MetricStat": {"Period": 60}}]}},
  "Fast": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "x", "Period": 10}}
}}`

var testUsage = Usage{RequestsPerSecond: 100, BytesPerRequest: 10 * 1024, NewConnectionsPerSecond: 50, ActiveConnections: 600, NatGB: 20}

func estimate(t *testing.T, templates ...string) Estimate {
	t.Helper()
	return estimateWith(t, testUsage, templates...)
}

func estimateWith(t *testing.T, u Usage, templates ...string) Estimate {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	s := Stage{Name: "test", Region: "us-east-1"}
	for _, tp := range templates {
		var m Template
		if err := json.Unmarshal([]byte(tp), &m); err != nil {
			t.Fatal(err)
		}
		s.Stacks = append(s.Stacks, Stack{Name: "test/Service", Template: m})
	}
	e, err := Of(s, u, p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func line(t *testing.T, e Estimate, item string) Line {
	t.Helper()
	for _, l := range e.Lines {
		if l.Item == item {
			return l
		}
	}
	t.Fatalf("no line %q in %+v", item, e.Lines)
	return Line{}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.6f, want %.6f", what, got, want)
	}
}

// TestModel checks each line of the small stage against arithmetic done by hand with the
// us-east-1 prices.
func TestModel(t *testing.T) {
	e := estimate(t, service)
	if e.MinTasks != 1 || e.MaxTasks != 5 {
		t.Fatalf("tasks %d–%d, want 1–5 from the scalable target", e.MinTasks, e.MaxTasks)
	}
	// 1 task: the base puts it on FARGATE. 5 tasks: 1 base + 4 split 1:1, so 3 on-demand, 2 Spot.
	near(t, "on-demand vCPU-hours @1", line(t, e, "Fargate vCPU (X86_64)").MinQty, 1*0.5*730)
	near(t, "on-demand vCPU-hours @5", line(t, e, "Fargate vCPU (X86_64)").MaxQty, 3*0.5*730)
	near(t, "on-demand GB-hours @5 USD", line(t, e, "Fargate memory (X86_64)").MaxUSD, 3*1*730*0.004445)
	spot := line(t, e, "Fargate Spot vCPU (X86_64, assumed discount)")
	near(t, "Spot vCPU @5 USD", spot.MaxUSD, 2*0.5*730*0.04048*0.30) // 70 % off
	near(t, "Spot vCPU @1", spot.MinUSD, 0)
	near(t, "ALB hours USD", line(t, e, "Load balancer hours").MinUSD, 730*0.0225)
	// LCU dimensions: 50 new conn/s ÷ 25 = 2; 600 active ÷ 3000 = 0.2; 100 req/s × 10 KiB ×
	// 3600 s ÷ 2^30 = 3.433 GB/h; no rules. The largest, 3.433 LCU, × 730 h × $0.008.
	near(t, "LCU USD", line(t, e, "Load balancer LCUs").MinUSD, 100*10*1024*3600.0/(1<<30)*730*0.008)
	near(t, "NAT hours USD", line(t, e, "NAT gateway hours").MinUSD, 730*0.045)
	near(t, "NAT data USD", line(t, e, "NAT gateway data processed").MinUSD, 20*0.045)
	// 3 ALB subnets + 1 Elastic IP; tasks get no public IP.
	near(t, "IPv4 USD", line(t, e, "Public IPv4 addresses").MaxUSD, 4*730*0.005)
	// The math alarm watches 2 metrics (the expression is free); the 10 s alarm is high resolution.
	near(t, "alarm metrics", line(t, e, "CloudWatch alarm metrics").MinQty, 2)
	near(t, "high-resolution alarm USD", line(t, e, "CloudWatch high-resolution alarm metrics").MinUSD, 0.30)
	var sum float64
	for _, l := range e.Lines {
		sum += l.MaxUSD
	}
	near(t, "total @5", e.MaxUSD, sum)
}

func TestSpotTasks(t *testing.T) {
	strategy := func(s string) []any {
		var v []any
		_ = json.Unmarshal([]byte(s), &v)
		return v
	}
	for _, tt := range []struct {
		strategy string
		n        int
		want     float64
	}{
		{`[]`, 4, 0},
		{`[{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]`, 4, 4},
		{`[{"CapacityProvider": "FARGATE", "Base": 2, "Weight": 1}, {"CapacityProvider": "FARGATE_SPOT", "Weight": 3}]`, 6, 3},
		{`[{"CapacityProvider": "FARGATE_SPOT", "Base": 5, "Weight": 0}, {"CapacityProvider": "FARGATE", "Weight": 1}]`, 3, 3},
	} {
		if got := spotTasks(strategy(tt.strategy), tt.n); got != tt.want {
			t.Errorf("spotTasks(%s, %d) = %g, want %g", tt.strategy, tt.n, got, tt.want)
		}
	}
}

func TestBucketDays(t *testing.T) {
	var props map[string]any
	_ = json.Unmarshal([]byte(`{"VersioningConfiguration": {"Status": "Enabled"},
		"LifecycleConfiguration": {"Rules": [{"Status": "Enabled", "ExpirationInDays": 90, "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]}}`), &props)
	if got := bucketDays(props); got != 120 {
		t.Errorf("versioned bucket keeps objects %g days, want 90 + 30", got)
	}
	delete(props, "VersioningConfiguration")
	if got := bucketDays(props); got != 90 {
		t.Errorf("unversioned bucket keeps objects %g days, want 90", got)
	}
	if got := bucketDays(map[string]any{}); got != 0 {
		t.Errorf("a bucket without expiry keeps objects %g days, want 0 (forever)", got)
	}
}

// TestRetained: what a store holds on average in a given month, by hand. 30 GB arrive a
// month of 30 days, 1 GB a day.
func TestRetained(t *testing.T) {
	for _, tt := range []struct {
		kept  float64
		month int
		want  float64
	}{
		{7, 1, (7*7/2.0 + 7*23) / 30}, // filling for 7 days (avg 3.5 GB), then 7 GB: 6.18
		{7, 12, 7},                    // long full
		{90, 1, 15},                   // half a month's worth
		{90, 3, 75},                   // days 60–90: avg 75 GB
		{90, 4, 90},                   // full
		{45, 2, (45*45/2.0 - 30*30/2.0 + 45*15) / 30}, // days 30–45 filling, 45–60 full: 41.25
		{0, 12, 345}, // forever: 11.5 months' worth
	} {
		if got := retained(30, tt.kept, 30, tt.month); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("kept %g days, month %d: %g GB, by hand %g", tt.kept, tt.month, got, tt.want)
		}
	}
}

// TestUnpriced: a resource type the model does not know is reported, not silently free.
func TestUnpriced(t *testing.T) {
	e := estimate(t, service, `{"Resources": {"Db": {"Type": "AWS::DynamoDB::Table"}, "Fn": {"Type": "AWS::Lambda::Function"}}}`)
	if strings.Join(e.Unpriced, ",") != "AWS::DynamoDB::Table,AWS::Lambda::Function" {
		t.Errorf("unpriced = %v, want the Lambda function and the table", e.Unpriced)
	}
	if len(estimate(t, service).Unpriced) != 0 {
		t.Error("the small stage has types the model does not know")
	}
}

func TestPriceTableErrors(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.region("ap-south-2"); err == nil || !strings.Contains(err.Error(), "no region ap-south-2") || !strings.Contains(err.Error(), "eu-west-1") {
		t.Errorf("unknown region: %v", err)
	}
	_, err = ParsePrices([]byte(`{"hoursPerMonth": 730, "refresh": "README", "regions": {"eu-west-1": {"alb.hour": {"usd": 1, "unit": "h", "source": "x"}}}}`))
	if err == nil || !strings.Contains(err.Error(), "region eu-west-1 lacks fargate.vcpu.x86_64") {
		t.Errorf("a table missing prices: %v", err)
	}
	if _, err := ParseAssumptions([]byte(`{"stages": {"dev": {"requestsPerSecnd": 3}}}`)); err == nil || !strings.Contains(err.Error(), "requestsPerSecnd") {
		t.Errorf("a misspelt usage field: %v", err)
	}
	a, _ := DefaultAssumptions()
	if _, err := a.For("qa"); err == nil || !strings.Contains(err.Error(), "no usage assumptions for stage qa") {
		t.Errorf("a stage without usage: %v", err)
	}
}

func TestCompare(t *testing.T) {
	before := Estimate{Lines: []Line{{Item: "a", MinUSD: 1, MaxUSD: 2}, {Item: "gone", MinUSD: 5, MaxUSD: 5}}}
	after := Estimate{Lines: []Line{{Item: "a", MinUSD: 1.5, MaxUSD: 4}, {Item: "new", MinUSD: 3, MaxUSD: 3}}}
	got := Compare(before, after)
	if len(got) != 3 || got[0].DeltaMax() != 2 || got[1].Item != "new" || got[1].DeltaMin() != 3 || got[2].Item != "gone" || got[2].DeltaMin() != -5 {
		t.Errorf("Compare = %+v", got)
	}
}

// TestParseOlderPrices: a base revision's table from before a price existed borrows it from the
// current table and says so; a table that is broken otherwise still fails.
func TestParseOlderPrices(t *testing.T) {
	current, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	var older map[string]any
	_ = json.Unmarshal(pricesJSON, &older)
	for _, region := range older["regions"].(map[string]any) {
		delete(region.(map[string]any), "internet.out.gb")
		delete(region.(map[string]any), "vpce.hour")
	}
	b, _ := json.Marshal(older)
	if _, err := ParsePrices(b); err == nil {
		t.Fatal("the older table parses without the new prices")
	}
	p, borrowed, err := ParseOlderPrices(b, current)
	if err != nil || strings.Join(borrowed, ",") != "internet.out.gb,vpce.hour" || p.Regions["eu-west-1"]["vpce.hour"].USD != 0.011 {
		t.Errorf("ParseOlderPrices: %v, borrowed %v", err, borrowed)
	}
	if _, _, err := ParseOlderPrices([]byte(`{"hoursPerMonth": 0, "regions": {}}`), current); err == nil {
		t.Error("a table with no hours a month parses")
	}
}
