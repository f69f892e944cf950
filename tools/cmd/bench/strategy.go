package main

import (
	"fmt"
	"math"
)

// strategyInputs is what a stage's template says about its ECS deployment strategy
// (DeploymentConfiguration, under CloudFormation's names).
type strategyInputs struct {
	strategy                 string // ROLLING, CANARY, LINEAR or BLUE_GREEN
	canaryBakeMinutes        float64
	linearStepPercent        float64
	linearStepBakeMinutes    float64
	bakeMinutes              float64
	interval, healthy, dereg int
}

// strategyFloor is the least time a canary, linear or blue/green deploy takes
// (ecs-deployments.md §6, §7): the new tasks start together and pass the health check (the
// same healthy x interval the rolling figure assumes), traffic moves with its waits, the bake
// after the last shift runs, then the old tasks drain. Launch, pulls, hooks and ECS's own
// polling come on top.
func (p strategyInputs) floor() float64 {
	return float64(p.healthy*p.interval+p.dereg) + 60*(p.shiftWaitMinutes()+p.bakeMinutes)
}

// shiftWaitMinutes is the time between the first and the last traffic shift: one canary
// bake, or a step bake per linear step short of 100 % (CFN LinearConfiguration).
func (p strategyInputs) shiftWaitMinutes() float64 {
	switch p.strategy {
	case "CANARY":
		return p.canaryBakeMinutes
	case "LINEAR":
		tenths := int(math.Round(p.linearStepPercent * 10))
		if tenths <= 0 {
			return 0
		}
		waits := 1000 / tenths
		if 1000%tenths == 0 {
			waits--
		}
		return float64(waits) * p.linearStepBakeMinutes
	}
	return 0
}

func (p strategyInputs) note() string {
	switch p.strategy {
	case "CANARY":
		return fmt.Sprintf("canary: %ds healthy + %g min canary bake + %g min bake + %ds drain", p.healthy*p.interval, p.canaryBakeMinutes, p.bakeMinutes, p.dereg)
	case "LINEAR":
		return fmt.Sprintf("linear %g%% steps: %ds healthy + %g min of step bakes + %g min bake + %ds drain", p.linearStepPercent, p.healthy*p.interval, p.shiftWaitMinutes(), p.bakeMinutes, p.dereg)
	}
	return fmt.Sprintf("blue/green: %ds healthy + %g min bake + %ds drain", p.healthy*p.interval, p.bakeMinutes, p.dereg)
}

// strategyParams reads the strategy from a template; ok is false for a rolling service.
func strategyParams(t map[string]any) (strategyInputs, bool) {
	f := floorParams(t)
	p := strategyInputs{interval: f.interval, healthy: f.healthy, dereg: f.dereg}
	resources, _ := t["Resources"].(map[string]any)
	for _, r := range resources {
		r, _ := r.(map[string]any)
		if r["Type"] != "AWS::ECS::Service" {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		dc, _ := props["DeploymentConfiguration"].(map[string]any)
		p.strategy, _ = dc["Strategy"].(string)
		canary, _ := dc["CanaryConfiguration"].(map[string]any)
		linear, _ := dc["LinearConfiguration"].(map[string]any)
		p.canaryBakeMinutes, _ = canary["CanaryBakeTimeInMinutes"].(float64)
		p.linearStepPercent, _ = linear["StepPercent"].(float64)
		p.linearStepBakeMinutes, _ = linear["StepBakeTimeInMinutes"].(float64)
		p.bakeMinutes, _ = dc["BakeTimeInMinutes"].(float64)
	}
	return p, p.strategy != "" && p.strategy != "ROLLING"
}
