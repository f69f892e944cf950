package infra

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/keelstack/keel/tools/cost"
)

// Prices (tools/cost/prices.json, eu-west-1) and usage (tools/cost/usage.json) the arithmetic
// below uses, written out by hand: a change to either file must change them too.
const (
	hours       = 730.0
	days        = hours / 24 // 30.42 days in a month of 730 hours
	gib         = 1 << 30
	vcpuARM     = 0.03238 // $/vCPU-hour, Linux/ARM
	gbARM       = 0.00356 // $/GB-hour, Linux/ARM
	albHour     = 0.0252
	lcuHour     = 0.008
	natHour     = 0.048
	natGB       = 0.048
	ipv4Hour    = 0.005
	alarm       = 0.10 // per alarm metric and month
	metric      = 0.30 // custom metric and month
	logIngest   = 0.57 // $/GB, standard and vended
	logStore    = 0.03 // $/GB-month
	secret      = 0.40
	kmsKeyMonth = 1.00
	s3GB        = 0.023
	// The database (tools/cost/rds.go).
	microHour    = 0.018 // db.t4g.micro, PostgreSQL, single-AZ
	gp3GB        = 0.127
	acuHour      = 0.13
	auroraGB     = 0.11
	auroraIO     = 0.22 // per million requests
	auroraBackup = 0.021
	wafACL       = 5.00 // per web ACL and month
	wafRule      = 1.00 // per rule (or managed rule group) and month
	wafMillion   = 0.60 // per million requests inspected
	internetOut  = 0.09 // $/GB out to the internet, after the account's free 100 GB (not deducted)
	// month is usage.json's month: storage is what month 12 after the first deploy holds. A
	// retention shorter than 11 months is full by then (a month's volume × days kept / days
	// in a month); prod's 365 days are still filling: month 12 holds 11.5 months' worth.
	month = 12
)

type want struct{ min, max float64 }

// TestCostOfDefaultStages prices each stage's synthesized assembly and checks every line against
// arithmetic done by hand from the templates' numbers, the price table and the usage file.
func TestCostOfDefaultStages(t *testing.T) {
	s := app(t)
	stages, err := cost.ReadAssembly(s.outdir)
	if err != nil {
		t.Fatal(err)
	}
	expected := map[string]map[string]want{
		// dev: 1–2 tasks of 0.25 vCPU / 0.5 GB ARM64 with public IPs, no NAT, 7-day logs.
		// Usage: 1 req/s of 4 KiB, 0.2 new conn/s, 10 active, 0.5 GB app logs a task, 0.5 GB flow logs.
		"dev": {
			// The database: one db.t4g.micro with 20 GB of gp3, 1 GB of data whose day of backups
			// stays inside the free 20 GB, its master secret and its key.
			"RDS instance hours (db.t4g.micro)": {hours * microHour, hours * microHour},
			"RDS storage":                       {20 * gp3GB, 20 * gp3GB},
			"RDS-managed master secret":         {secret, secret},
			"KMS customer-managed keys":         {kmsKeyMonth, kmsKeyMonth},
			"Fargate vCPU (ARM64)":              {1 * 0.25 * hours * vcpuARM, 2 * 0.25 * hours * vcpuARM},
			"Fargate memory (ARM64)":            {1 * 0.5 * hours * gbARM, 2 * 0.5 * hours * gbARM},
			"Load balancer hours":               {hours * albHour, hours * albHour},
			"Load balancer LCUs":                {1 * 4096 * 3600.0 / gib * hours * lcuHour, 1 * 4096 * 3600.0 / gib * hours * lcuHour}, // GB/h beats 0.2/25 and 10/3000
			"Public IPv4 addresses":             {(2 + 1) * hours * ipv4Hour, (2 + 2) * hours * ipv4Hour},                               // 2 ALB subnets + a public IP per task
			"CloudWatch alarm metrics":          {(6 + 2) * alarm, (6 + 2) * alarm},                                                     // 6 one-metric alarms; the 5xx-rate math alarm watches 2
			"App logs ingested":                 {1 * 0.5 * logIngest, 2 * 0.5 * logIngest},
			"App logs stored":                   {1 * 0.5 * 7 / days * logStore, 2 * 0.5 * 7 / days * logStore},
			"VPC flow logs ingested":            {0.5 * logIngest, 0.5 * logIngest},
			"VPC flow logs stored":              {0.5 * 7 / days * logStore, 0.5 * 7 / days * logStore},
			"Secrets Manager secrets":           {4 * secret, 4 * secret}, // the smoke token; the foundation\'s config, passphrase and reader secrets
			"Access logs stored (S3)":           {1 * hours * 3600 * 70 / gib * (7 + 1) / days * s3GB, 1 * hours * 3600 * 70 / gib * (7 + 1) / days * s3GB},
			"Data transfer out to the internet": {1 * 4096 * hours * 3600 / gib * internetOut, 1 * 4096 * hours * 3600 / gib * internetOut},
			"Target-tracking alarms":            {3 * 2 * alarm, 3 * 2 * alarm}, // CPU, memory and requests policies, a high and a low alarm each
		},
		// staging: 2–4 tasks of 0.5 vCPU / 1 GB, 1 NAT with its Elastic IP, 30-day logs, Container
		// Insights. Usage: 5 req/s, 1 new conn/s, 50 active, 1 GB app logs a task, 1 GB flow logs,
		// 10 GB through NAT, 30 Container Insights metrics, 0.1 GB of its logs a task.
		"staging": {
			"Fargate vCPU (ARM64)":                {2 * 0.5 * hours * vcpuARM, 4 * 0.5 * hours * vcpuARM},
			"Fargate memory (ARM64)":              {2 * 1 * hours * gbARM, 4 * 1 * hours * gbARM},
			"Load balancer hours":                 {hours * albHour, hours * albHour},
			"Load balancer LCUs":                  {5 * 4096 * 3600.0 / gib * hours * lcuHour, 5 * 4096 * 3600.0 / gib * hours * lcuHour}, // 0.069 GB/h beats 1/25 = 0.04
			"NAT gateway hours":                   {hours * natHour, hours * natHour},
			"NAT gateway data processed":          {10 * natGB, 10 * natGB},
			"Public IPv4 addresses":               {(2 + 1) * hours * ipv4Hour, (2 + 1) * hours * ipv4Hour}, // 2 ALB subnets + 1 Elastic IP
			"CloudWatch alarm metrics":            {(4 + 4 + 2 + 2) * alarm, (4 + 4 + 2 + 2) * alarm},       // 4 one-metric alarms; 5xx rate (2 × 2), p99 and unhealthy hosts (2 each) over both target groups
			"App logs ingested":                   {2 * 1 * logIngest, 4 * 1 * logIngest},
			"App logs stored":                     {2 * 1 * 30 / days * logStore, 4 * 1 * 30 / days * logStore},
			"VPC flow logs ingested":              {1 * logIngest, 1 * logIngest},
			"VPC flow logs stored":                {1 * 30 / days * logStore, 1 * 30 / days * logStore},
			"Container Insights metrics":          {30 * metric, 30 * metric},
			"Container Insights performance logs": {2 * 0.1 * logIngest, 4 * 0.1 * logIngest},
			"Secrets Manager secrets":             {4 * secret, 4 * secret}, // the smoke token; the foundation\'s config, passphrase and reader secrets
			"Access logs stored (S3)":             {5 * hours * 3600 * 70 / gib * (30 + 1) / days * s3GB, 5 * hours * 3600 * 70 / gib * (30 + 1) / days * s3GB},
			// The database: one Aurora Serverless v2 writer at 0.5 ACU, 5 GB, 5 I/O per second,
			// 7 days of 5 % daily changes beyond the free 5 GB, its master secret and its key.
			"Aurora Serverless v2 capacity":     {0.5 * hours * acuHour, 0.5 * hours * acuHour},
			"Aurora storage":                    {5 * auroraGB, 5 * auroraGB},
			"Aurora I/O requests":               {5 * 3600 * hours / 1e6 * auroraIO, 5 * 3600 * hours / 1e6 * auroraIO},
			"Aurora backup storage":             {5 * 0.05 * 7 * auroraBackup, 5 * 0.05 * 7 * auroraBackup},
			"RDS-managed master secret":         {secret, secret},
			"KMS customer-managed keys":         {kmsKeyMonth, kmsKeyMonth},
			"Data transfer out to the internet": {5 * 4096 * hours * 3600 / gib * internetOut, 5 * 4096 * hours * 3600 / gib * internetOut},
			"Target-tracking alarms":            {4 * 2 * alarm, 4 * 2 * alarm}, // CPU, memory, requests and the alternate target group's requests
		},
		// prod: 3–12 tasks of 1 vCPU / 2 GB, 2 NATs with their Elastic IPs, 365-day logs (the
		// compliance profile), Container Insights, the log key and the vault's key, the WAF. Usage: 50 req/s, 10 new conn/s, 500 active, 2 GB app logs a task, 5 GB flow
		// logs, 100 GB through NAT.
		"prod": {
			"Fargate vCPU (ARM64)":                {3 * 1 * hours * vcpuARM, 12 * 1 * hours * vcpuARM},
			"Fargate memory (ARM64)":              {3 * 2 * hours * gbARM, 12 * 2 * hours * gbARM},
			"Load balancer hours":                 {hours * albHour, hours * albHour},
			"Load balancer LCUs":                  {50 * 4096 * 3600.0 / gib * hours * lcuHour, 50 * 4096 * 3600.0 / gib * hours * lcuHour}, // 0.687 GB/h beats 10/25 = 0.4
			"NAT gateway hours":                   {2 * hours * natHour, 2 * hours * natHour},
			"NAT gateway data processed":          {100 * natGB, 100 * natGB},
			"Public IPv4 addresses":               {(2 + 2) * hours * ipv4Hour, (2 + 2) * hours * ipv4Hour},
			"CloudWatch alarm metrics":            {(4 + 4 + 2 + 2) * alarm, (4 + 4 + 2 + 2) * alarm}, // 4 one-metric alarms; 5xx rate (2 × 2), p99 and unhealthy hosts (2 each) over both target groups
			"App logs ingested":                   {3 * 2 * logIngest, 12 * 2 * logIngest},
			"App logs stored":                     {3 * 2 * (month - 0.5) * logStore, 12 * 2 * (month - 0.5) * logStore}, // 365 days kept: still filling in month 12
			"VPC flow logs ingested":              {5 * logIngest, 5 * logIngest},
			"VPC flow logs stored":                {5 * (month - 0.5) * logStore, 5 * (month - 0.5) * logStore},
			"Container Insights metrics":          {30 * metric, 30 * metric},
			"Container Insights performance logs": {3 * 0.1 * logIngest, 12 * 0.1 * logIngest},
			"KMS customer-managed keys":           {3 * kmsKeyMonth, 3 * kmsKeyMonth},                                                                         // logs, vault, database
			"Secrets Manager secrets":             {4 * secret, 4 * secret},                                                                                   // the smoke token; the foundation\'s config, passphrase and reader secrets
			"Access logs stored (S3)":             {50 * hours * 3600 * 70 / gib * (month - 0.5) * s3GB, 50 * hours * 3600 * 70 / gib * (month - 0.5) * s3GB}, // 366 days kept
			"Data transfer out to the internet":   {50 * 4096 * hours * 3600 / gib * internetOut, 50 * 4096 * hours * 3600 / gib * internetOut},               // 501.25 GB: 45.11
			"Target-tracking alarms":              {4 * 2 * alarm, 4 * 2 * alarm},
			// The database: a writer and a reader at 1 ACU each, 50 GB, 50 I/O per second, 35 days
			// of 5 % daily changes beyond the free 50 GB, its master secret.
			"Aurora Serverless v2 capacity": {2 * 1 * hours * acuHour, 2 * 1 * hours * acuHour},
			"Aurora storage":                {50 * auroraGB, 50 * auroraGB},
			"Aurora I/O requests":           {50 * 3600 * hours / 1e6 * auroraIO, 50 * 3600 * hours / 1e6 * auroraIO},
			"Aurora backup storage":         {50 * 0.05 * 35 * auroraBackup, 50 * 0.05 * 35 * auroraBackup},
			"RDS-managed master secret":     {secret, secret},
			// The WAF: one web ACL, 4 rules (3 managed groups and the rate rule), every request
			// inspected and logged (1,500 B a record), kept 365 days.
			"WAF web ACLs":           {wafACL, wafACL},
			"WAF rules":              {4 * wafRule, 4 * wafRule},
			"WAF requests inspected": {50 * hours * 3600 / 1e6 * wafMillion, 50 * hours * 3600 / 1e6 * wafMillion},
			"WAF logs ingested":      {50 * hours * 3600 * 1500 / gib * logIngest, 50 * hours * 3600 * 1500 / gib * logIngest},
			"WAF logs stored":        {50 * hours * 3600 * 1500 / gib * (month - 0.5) * logStore, 50 * hours * 3600 * 1500 / gib * (month - 0.5) * logStore}, // 365 days kept: still filling
		},
	}
	for _, st := range stages {
		t.Run(st.Name, func(t *testing.T) {
			e := estimateOf(t, st)
			if len(e.Unpriced) > 0 {
				t.Errorf("resource types the cost model does not price: %v", e.Unpriced)
			}
			checkLines(t, e, withTelemetryLines(expected[st.Name], st.Name))
		})
	}
}

func checkLines(t *testing.T, e cost.Estimate, expected map[string]want) {
	t.Helper()
	var wantMin, wantMax float64
	for _, w := range expected {
		wantMin, wantMax = wantMin+w.min, wantMax+w.max
	}
	got := map[string]bool{}
	for _, l := range e.Lines {
		got[l.Item] = true
		w, ok := expected[l.Item]
		if !ok {
			t.Errorf("unexpected line %q: %.2f–%.2f USD", l.Item, l.MinUSD, l.MaxUSD)
			continue
		}
		if !closeTo(l.MinUSD, w.min) || !closeTo(l.MaxUSD, w.max) {
			t.Errorf("%s: %.4f–%.4f USD, by hand %.4f–%.4f", l.Item, l.MinUSD, l.MaxUSD, w.min, w.max)
		}
	}
	for item := range expected {
		if !got[item] {
			t.Errorf("no line %q", item)
		}
	}
	if !closeTo(e.MinUSD, wantMin) || !closeTo(e.MaxUSD, wantMax) {
		t.Errorf("total %.2f–%.2f USD, by hand %.2f–%.2f", e.MinUSD, e.MaxUSD, wantMin, wantMax)
	}
}

func closeTo(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func estimateOf(t *testing.T, st cost.Stage) cost.Estimate {
	t.Helper()
	prices, err := cost.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	assumptions, err := cost.DefaultAssumptions()
	if err != nil {
		t.Fatal(err)
	}
	u, err := assumptions.For(st.Name)
	if err != nil {
		t.Fatal(err)
	}
	e, err := cost.Of(st, u, prices)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestCostOfChanges: a change to the template moves exactly the lines it should, by the
// amount worked out by hand.
func TestCostOfChanges(t *testing.T) {
	s := app(t)
	stages, err := cost.ReadAssembly(s.outdir)
	if err != nil {
		t.Fatal(err)
	}
	var dev cost.Stage
	for _, st := range stages {
		if st.Name == "dev" {
			dev = st
		}
	}
	base := estimateOf(t, dev)
	for _, tt := range []struct {
		name   string
		mutate func(resources map[string]any)
		delta  map[string]want
	}{
		{"a NAT gateway", func(r map[string]any) {
			r["AddedNat"] = map[string]any{"Type": "AWS::EC2::NatGateway", "Properties": map[string]any{}}
			r["AddedNatEip"] = map[string]any{"Type": "AWS::EC2::EIP", "Properties": map[string]any{}}
		}, map[string]want{
			"NAT gateway hours":     {hours * natHour, hours * natHour},   // +35.04
			"Public IPv4 addresses": {hours * ipv4Hour, hours * ipv4Hour}, // its Elastic IP, +3.65
		}},
		{"twice the task size", func(r map[string]any) {
			for _, res := range r {
				if res := res.(map[string]any); res["Type"] == "AWS::ECS::TaskDefinition" {
					res["Properties"].(map[string]any)["Cpu"] = "512"
					res["Properties"].(map[string]any)["Memory"] = "1024"
				}
			}
		}, map[string]want{
			"Fargate vCPU (ARM64)":   {1 * 0.25 * hours * vcpuARM, 2 * 0.25 * hours * vcpuARM}, // +5.91 / +11.82
			"Fargate memory (ARM64)": {1 * 0.5 * hours * gbARM, 2 * 0.5 * hours * gbARM},       // +1.30 / +2.60
		}},
		{"a customer-managed KMS key", func(r map[string]any) {
			r["AddedKey"] = map[string]any{"Type": "AWS::KMS::Key", "Properties": map[string]any{}}
		}, map[string]want{
			"KMS customer-managed keys": {kmsKeyMonth, kmsKeyMonth},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			changed := cloneStage(t, dev)
			tt.mutate(changed.Stacks[serviceStack(t, changed)].Template["Resources"].(map[string]any))
			for _, c := range cost.Compare(base, estimateOf(t, changed)) {
				w := tt.delta[c.Item]
				if !closeTo(c.DeltaMin(), w.min) || !closeTo(c.DeltaMax(), w.max) {
					t.Errorf("%s changes by %+.4f / %+.4f USD, by hand %+.4f / %+.4f", c.Item, c.DeltaMin(), c.DeltaMax(), w.min, w.max)
				}
			}
		})
	}
}

func serviceStack(t *testing.T, s cost.Stage) int {
	t.Helper()
	for i, st := range s.Stacks {
		if st.Name == s.Name+"/Service" {
			return i
		}
	}
	t.Fatalf("no service stack in %s", s.Name)
	return -1
}

// cloneStage deep-copies a stage's templates so that a test can change one.
func cloneStage(t *testing.T, s cost.Stage) cost.Stage {
	t.Helper()
	out := cost.Stage{Name: s.Name, Region: s.Region}
	for _, st := range s.Stacks {
		b, err := json.Marshal(st.Template)
		if err != nil {
			t.Fatal(err)
		}
		var tp cost.Template
		if err := json.Unmarshal(b, &tp); err != nil {
			t.Fatal(err)
		}
		out.Stacks = append(out.Stacks, cost.Stack{Name: st.Name, File: st.File, Template: tp})
	}
	return out
}
