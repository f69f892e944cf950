package rehearsal

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Deployment outcomes (1.5, 4.3, 5.4).
const (
	outcomeCompleted  = "COMPLETED"
	outcomeRolledBack = "ROLLED_BACK"
	outcomeFailed     = "FAILED"
)

// detector is the circuit breaker and the deployment alarms of one deployment; the first to
// trip wins and its rollback flag applies (4.4, ALM).
type detector struct {
	s         *service
	breaker   bool
	threshold int
	failures  int
	ignored   map[string]bool // alarms already in ALARM at the start (5.3)
	// watching is a deployment (not the old version's start or a rollback); inARow counts
	// its failed tasks since one last turned healthy, breaker or not (stall.go).
	watching bool
	inARow   int
}

func (s *service) newDetector(watch bool) *detector {
	d := &detector{s: s, breaker: watch && s.plan.CircuitBreaker.Enable, threshold: s.plan.BreakerThreshold(), ignored: map[string]bool{}, watching: watch}
	if watch && s.plan.AlarmSwitch.Enable {
		for _, id := range s.alarms.inAlarm() {
			// An alarm in ALARM when the deployment starts is ignored for it (5.3, APEX).
			d.ignored[id] = true
			s.tl.add("alarm", "", "IGNORED", id+" was in ALARM when the deployment started")
		}
	} else {
		d.ignored = nil
	}
	return d
}

// failed counts a failed task of the deployment (4.2).
func (d *detector) failed(tk *task, reason string) {
	if d.watching {
		d.inARow++
	}
	if !d.breaker {
		return
	}
	d.failures++
	d.s.tl.add("breaker", tk.id, fmt.Sprintf("%d/%d", d.failures, d.threshold), reason)
}

// healthyTask resets the count: resetOnHealthyTask defaults to true (4.1, DCB).
func (d *detector) healthyTask() {
	d.inARow = 0
	if d.breaker && d.failures > 0 {
		d.failures = 0
		d.s.tl.add("breaker", "", "0/"+fmt.Sprint(d.threshold), "a task turned healthy: count reset")
	}
}

// tripped returns why the deployment fails, and whether it rolls back.
func (d *detector) tripped() (reason string, rollback bool, ok bool) {
	if d.breaker && d.failures >= d.threshold {
		return fmt.Sprintf("circuit breaker: %d failed tasks (threshold %d)", d.failures, d.threshold), d.s.plan.CircuitBreaker.Rollback, true
	}
	if d.ignored != nil {
		var firing []string
		for _, id := range d.s.alarms.inAlarm() {
			if !d.ignored[id] {
				firing = append(firing, id)
			}
		}
		if len(firing) > 0 {
			return "deployment alarm in ALARM: " + strings.Join(firing, ", "), d.s.plan.AlarmSwitch.Rollback, true
		}
	}
	return "", false, false
}

// tend replaces failing tasks of rev and notes new healthy ones; it returns how many of
// rev's active tasks are healthy.
func (s *service) tend(rev *Revision, d *detector) int {
	healthy := 0
	for _, tk := range s.active(rev, true) {
		if reason, bad := s.failing(tk); bad {
			s.stop(tk, reason)
			d.failed(tk, reason)
			continue
		}
		if s.healthy(tk) {
			healthy++
			if s.markHealthy(tk) {
				s.tl.add("task", tk.id, "HEALTHY", "container check and target group")
				d.healthyTask()
			}
		}
	}
	return healthy
}

// rolling moves the service to rev with the rolling-update rules; watch enables the
// circuit breaker and the alarms (a rollback is itself a plain rolling deployment, 4.3).
// It returns the outcome's reason and whether the detectors tripped, and rollback.
func (s *service) rolling(ctx context.Context, rev *Revision, watch bool) (tripReason string, rollback bool, err error) {
	d := s.newDetector(watch)
	n := s.plan.DesiredCount
	ceiling, floor := s.plan.Bounds()
	var steadyAt time.Time
	bake := s.clock.scale(s.plan.AlarmBake())
	if !watch || !s.plan.AlarmSwitch.Enable {
		bake = 0
	}
	for {
		healthyNew := s.tend(rev, d)
		if reason, rb, ok := d.tripped(); ok {
			return reason, rb, nil
		}
		if err := d.stalled(); err != nil {
			return "", false, err
		}
		mine, others := s.active(rev, true), s.active(rev, false)
		// Start new tasks up to the ceiling: floor(N·max/100) tasks not yet STOPPED (1.1, 1.2).
		for range max(0, min(ceiling-s.count(), n-len(mine))) {
			if err := s.start(rev, 0); err != nil {
				return "", false, err
			}
		}
		// Stop old tasks while the healthy count stays at ceil(N·min/100) or above; an
		// unhealthy old task is not counting towards it and goes first (1.1, 1.2).
		healthy := healthyNew
		for _, tk := range others {
			if s.healthy(tk) {
				healthy++
			}
		}
		for _, tk := range others {
			switch {
			case !s.healthy(tk):
				s.stop(tk, "replaced by "+rev.Name+" (not healthy)")
			case healthy-1 >= floor:
				s.stop(tk, "replaced by "+rev.Name)
				healthy--
			}
		}
		// Steady when rev has the desired count healthy and the old tasks are gone (1.5);
		// then the alarms are watched for the bake (5.2).
		done := len(mine) == n && healthyNew == n && s.count() == n
		switch {
		case done && steadyAt.IsZero():
			steadyAt = time.Now()
			if bake > 0 {
				s.setPhase("alarm bake")
			}
		case !done:
			steadyAt = time.Time{}
		}
		if done && time.Since(steadyAt) >= bake {
			return "", false, nil
		}
		select {
		case <-ctx.Done():
			return "", false, ctx.Err()
		case <-time.After(poll):
		}
	}
}
