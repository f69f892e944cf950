package rehearsal

import (
	"fmt"
	"math"
	"time"
)

// Floor is the least time a deployment can take, a margin above it that a healthy
// deployment stays within, and how both were computed.
type Floor struct {
	Floor, Margin time.Duration
	How           string
}

// Floor is the least real time the deployment can take at speed (7, composition Inferred):
// rolling, W = ceil(N/E) waves with E = ceiling − N (or N − floor when stopping first) of
// (deregistration delay) plus the alarm bake; ECS-native, the shift bakes, the bake and one
// deregistration delay. The app's own boot and exit and one health-check interval per wave
// are the margin, with 2 s per wave for boot and exit and 2 s for the scheduler's polling.
func (p Plan) Floor(speed float64) Floor {
	clk := clock{speed: speed}
	interval := max(p.HealthCheck.Interval, containerInterval(p))
	if p.Strategy == "ROLLING" {
		ceiling, floor := p.Bounds()
		e := ceiling - p.DesiredCount
		if e <= 0 {
			e = p.DesiredCount - floor
		}
		waves := int(math.Ceil(float64(p.DesiredCount) / float64(max(e, 1))))
		return Floor{
			Floor:  time.Duration(waves)*clk.scale(p.DeregistrationDelay) + clk.scale(p.AlarmBake()),
			Margin: time.Duration(waves)*(clk.scale(interval)+2*time.Second) + 2*time.Second,
			How: fmt.Sprintf("%d wave(s) × deregistration delay %v + alarm bake %v, ÷ speed %g; margin: per wave one health-check interval (%v) + 2 s boot and exit, + 2 s polling",
				waves, p.DeregistrationDelay, p.AlarmBake(), speed, interval),
		}
	}
	var bakes time.Duration
	for range len(p.Shifts()) - 1 {
		bakes += p.ShiftBake()
	}
	return Floor{
		Floor:  clk.scale(bakes + p.Bake + p.DeregistrationDelay),
		Margin: clk.scale(interval) + 4*time.Second,
		How: fmt.Sprintf("shift bakes %v + bake %v + deregistration delay %v, ÷ speed %g; margin: one health-check interval (%v) + 2 s boot and exit + 2 s polling",
			bakes, p.Bake, p.DeregistrationDelay, speed, interval),
	}
}

func containerInterval(p Plan) time.Duration {
	if p.ContainerCheck == nil {
		return 0
	}
	return p.ContainerCheck.Interval
}
