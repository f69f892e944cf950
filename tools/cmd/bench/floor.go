package main

import (
	"fmt"
	"math"
	"strconv"
)

// ELB's defaults for what a target group leaves out, and ECS's default deployment percents:
// what the CDK's ApplicationLoadBalancedFargateService deploys when given nothing.
const (
	elbDefaultInterval  = 30
	elbDefaultHealthy   = 5
	elbDefaultDeregSecs = 300
	patternDesired      = 1
)

// deployFloor computes, from each stage's synthesized template, the least time a rolling
// deploy can take (and, for a stage with a canary, linear or blue/green strategy, that
// strategy's floor next to it): per wave, the new tasks pass the ALB's health check (healthy threshold x
// interval) and the old ones drain (deregistration delay); waves follow from the task count
// and the maximum percent.
func (b *bench) deployFloor() error {
	for _, stage := range []string{"dev", "staging", "prod"} {
		t, err := assemblyTemplate(b.lastAssembly, stage)
		if err != nil {
			return err
		}
		p := floorParams(t)
		floor := p.floor()
		f := figure{Name: "deploy time floor, " + stage, Value: floor, Unit: "s",
			Note: fmt.Sprintf("%d task(s), %d wave(s) of %d x %ds healthy + %ds drain", p.tasks, p.waves(), p.healthy, p.interval, p.dereg)}
		switch stage {
		case "dev":
			f.Target, f.Met = target(floor, 60, true, "<= 60 s")
		case "prod":
			f.Target, f.Met = target(floor, 150, true, "<= 150 s")
		}
		b.report.add(f)
		if sp, ok := strategyParams(t); ok {
			b.report.add(figure{Name: "deploy time floor, " + stage + ", " + sp.strategy, Value: sp.floor(), Unit: "s",
				Note: fmt.Sprintf("%s; rolling would be %.0f s", sp.note(), floor)})
		}
	}
	pattern := floorInputs{tasks: patternDesired, maxPercent: 200, interval: elbDefaultInterval, healthy: elbDefaultHealthy, dereg: elbDefaultDeregSecs}
	b.report.add(figure{Name: "deploy time floor, CDK pattern defaults", Value: pattern.floor(), Unit: "s",
		Note: "ApplicationLoadBalancedFargateService: 1 task, ELB defaults 5 x 30s healthy + 300s drain"})
	return nil
}

type floorInputs struct {
	tasks, maxPercent, interval, healthy, dereg int
}

// waves is how many rounds of new tasks a deploy needs: max percent above 100 is the room.
func (p floorInputs) waves() int {
	room := int(math.Floor(float64(p.tasks) * float64(p.maxPercent-100) / 100))
	if room < 1 {
		room = 1
	}
	return int(math.Ceil(float64(p.tasks) / float64(room)))
}

func (p floorInputs) floor() float64 {
	return float64(p.waves() * (p.healthy*p.interval + p.dereg))
}

func floorParams(t map[string]any) floorInputs {
	p := floorInputs{tasks: 1, maxPercent: 200, interval: elbDefaultInterval, healthy: elbDefaultHealthy, dereg: elbDefaultDeregSecs}
	resources, _ := t["Resources"].(map[string]any)
	for _, r := range resources {
		r, _ := r.(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::ElasticLoadBalancingV2::TargetGroup":
			setInt(&p.interval, props["HealthCheckIntervalSeconds"])
			setInt(&p.healthy, props["HealthyThresholdCount"])
			attrs, _ := props["TargetGroupAttributes"].([]any)
			for _, a := range attrs {
				a, _ := a.(map[string]any)
				if a["Key"] == "deregistration_delay.timeout_seconds" {
					if n, err := strconv.Atoi(fmt.Sprint(a["Value"])); err == nil {
						p.dereg = n
					}
				}
			}
		case "AWS::ApplicationAutoScaling::ScalableTarget":
			setInt(&p.tasks, props["MinCapacity"])
		case "AWS::ECS::Service":
			dc, _ := props["DeploymentConfiguration"].(map[string]any)
			setInt(&p.maxPercent, dc["MaximumPercent"])
		}
	}
	return p
}

func setInt(dst *int, v any) {
	if f, ok := v.(float64); ok {
		*dst = int(f)
	}
}
