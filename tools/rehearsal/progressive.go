package rehearsal

import (
	"context"
	"fmt"
	"math"
	"time"
)

// progressive runs an ECS-native CANARY, LINEAR or BLUE_GREEN deployment (6.1, SD):
// SCALE_UP (green to 100 % of desired in the alternate target group, no traffic), the
// production traffic shifts with their bakes, BAKE_TIME (both revisions up), CLEAN_UP (blue
// drained and stopped). No test listener rule and no lifecycle hooks in this stack: those
// stages pass at once. The alarms are watched from the first green task through the bake
// (5.2); a rollback re-weights the rule to blue at once and stops green (6.4).
func (s *service) progressive(ctx context.Context, green *Revision, blue *Revision) (tripReason string, rollback bool, err error) {
	d := s.newDetector(true)
	n := s.plan.DesiredCount
	wait := func(phase string, d2 time.Duration, untilHealthy bool) (string, bool, error) {
		s.setPhase(phase)
		end := time.Now().Add(d2)
		for {
			healthy := s.tend(green, d)
			if reason, rb, ok := d.tripped(); ok {
				return reason, rb, nil
			}
			if err := d.stalled(); err != nil {
				return "", false, err
			}
			// Replace green tasks that failed, up to the desired count.
			for range max(0, n-len(s.active(green, true))) {
				if err := s.start(green, 1); err != nil {
					return "", false, err
				}
			}
			if untilHealthy && healthy == n || !untilHealthy && !time.Now().Before(end) {
				return "", false, nil
			}
			select {
			case <-ctx.Done():
				return "", false, ctx.Err()
			case <-time.After(poll):
			}
		}
	}
	if r, rb, err := wait("SCALE_UP", 0, true); err != nil || r != "" {
		return r, rb, err
	}
	shifts := s.plan.Shifts()
	for i, pct := range shifts {
		s.lb.setWeights(int(math.Round(pct * 10)))
		bake := s.plan.ShiftBake()
		if i == len(shifts)-1 {
			bake = 0 // no wait after 100 % (6.3, LIN)
		}
		if r, rb, err := wait(fmt.Sprintf("PRODUCTION_TRAFFIC_SHIFT %g%%", pct), s.clock.scale(bake), false); err != nil || r != "" {
			return r, rb, err
		}
	}
	if r, rb, err := wait("BAKE_TIME", s.clock.scale(s.plan.Bake), false); err != nil || r != "" {
		return r, rb, err
	}
	s.setPhase("CLEAN_UP")
	for _, tk := range s.active(blue, true) {
		s.stop(tk, "CLEAN_UP: blue scaled to 0")
	}
	s.stopping.Wait()
	// The target groups swap roles: the alternate one is production now (6.2).
	s.tl.add("traffic", "", "production target group is "+s.lb.groups[1].name, "roles swapped for the next deployment")
	return "", false, nil
}

// revert is the rollback of an ECS-native deployment: the rule goes back to blue at once,
// green drains and stops (6.4).
func (s *service) revert(green *Revision) {
	s.lb.setWeights(0)
	for _, tk := range s.active(green, true) {
		s.stop(tk, "rollback: green scaled to 0")
	}
}
