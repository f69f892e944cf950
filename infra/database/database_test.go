package database

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
)

// vpc stands in for a VPC: validate only asks whether there is one.
type vpc struct{ awsec2.IVpc }

func TestPropsValidate(t *testing.T) {
	good := Props{
		Vpc: vpc{}, Subnets: &awsec2.SubnetSelection{}, Zones: []string{"eu-west-1a", "eu-west-1b"},
		Identifier: "keel-dev", Kind: AuroraServerlessV2, EngineVersion: "16.9", MinACU: 0.5, MaxACU: 4,
		BackupRetentionDays: 7, Name: "keel", MasterUser: "keeladmin",
	}
	if err := good.validate(); err != nil {
		t.Fatalf("good props: %v", err)
	}
	tests := []struct {
		name   string
		change func(*Props)
		want   string
	}{
		{"no VPC", func(p *Props) { p.Vpc = nil }, "Vpc"},
		{"one zone", func(p *Props) { p.Zones = p.Zones[:1] }, "2 availability zones"},
		{"major only", func(p *Props) { p.EngineVersion = "16" }, "MAJOR.MINOR"},
		{"no backups", func(p *Props) { p.BackupRetentionDays = 0 }, "point-in-time"},
		{"ACU off the grid", func(p *Props) { p.MaxACU = 2.2 }, "steps of 0.5"},
		{"ACU below Aurora's floor", func(p *Props) { p.MinACU = 0 }, "0.5 <= MinACU"},
		{"instance without storage", func(p *Props) { p.Kind, p.InstanceClass = Instance, "db.t4g.micro" }, "20 GiB"},
		{"unknown kind", func(p *Props) { p.Kind = "serverless" }, "unknown Kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			p.Zones = append([]string(nil), good.Zones...)
			tt.change(&p)
			if err := p.validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("validate = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
