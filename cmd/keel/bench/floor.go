package bench

import (
	"fmt"
	"time"

	"github.com/keelstack/keel/tools/rehearsal"
)

// patternDefaults is what the CDK's ApplicationLoadBalancedFargateService deploys when given
// nothing: one task, ECS's rolling bounds as the CDK sets them (50/200), the target group's
// defaults (30 s checks, 300 s deregistration delay), no deployment alarms.
var patternDefaults = rehearsal.Plan{
	Strategy: "ROLLING", DesiredCount: 1, MinHealthyPercent: 50, MaxPercent: 200,
	HealthCheck:         rehearsal.TGHealthCheck{Interval: 30 * time.Second},
	DeregistrationDelay: 300 * time.Second,
}

// deployFloor reports each stage's deploy time floor from its synthesized template, with the
// rehearsal's model of ECS (rehearsal.Plan.Floor: the waits ECS imposes, including the alarm
// bake it adds after every deploy), and the margin a healthy deploy stays within.
func (b *bench) deployFloor() error {
	for _, stage := range []string{"dev", "staging", "prod"} {
		p, err := b.plan(stage)
		if err != nil {
			return err
		}
		f := p.Floor(1)
		b.report.add(figure{Name: "deploy time floor, " + stage + ", " + p.Strategy, Value: f.Floor.Seconds(), Unit: "s",
			Note: fmt.Sprintf("%s = %v", f.How, f.Margin)})
	}
	f := patternDefaults.Floor(1)
	b.report.add(figure{Name: "deploy time floor, CDK pattern defaults", Value: f.Floor.Seconds(), Unit: "s",
		Note: "ApplicationLoadBalancedFargateService: " + f.How})
	return nil
}

// plan reads a stage's deployment from the assembly the synth figures wrote last.
func (b *bench) plan(stage string) (rehearsal.Plan, error) {
	path, err := rehearsal.FindTemplate(b.lastAssembly, stage)
	if err != nil {
		return rehearsal.Plan{}, err
	}
	return rehearsal.LoadPlan(path, stage)
}
