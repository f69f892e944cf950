package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The stall rule: as many failed tasks in a row as the breaker would allow (3 for two
// tasks, 4.1), with no breaker and no alarm to end the deployment.
func TestStalled(t *testing.T) {
	s := &service{plan: Plan{DesiredCount: 2}}
	d := &detector{s: s, watching: true}
	d.inARow = 2
	if err := d.stalled(); err != nil {
		t.Errorf("2 failures of 3: %v", err)
	}
	d.inARow = 3
	if err := d.stalled(); err == nil || !strings.Contains(err.Error(), "3 new tasks failed in a row") || !strings.Contains(err.Error(), "no deployment alarms") {
		t.Errorf("3 failures without breaker or alarms: %v", err)
	}
	d.ignored = map[string]bool{}
	if err := d.stalled(); err == nil || !strings.Contains(err.Error(), "no deployment alarm in ALARM") {
		t.Errorf("3 failures, alarms watched but none in ALARM: %v", err)
	}
	d.healthyTask()
	if err := d.stalled(); err != nil || d.inARow != 0 {
		t.Errorf("a healthy task resets the count: %v, %d", err, d.inARow)
	}
	for _, other := range []*detector{{s: s, watching: true, breaker: true, inARow: 9}, {s: s, inARow: 9}} {
		if err := other.stalled(); err != nil {
			t.Errorf("breaker %v, watching %v: %v (the breaker ends it; the old version's start and a rollback are not deployments)", other.breaker, other.watching, err)
		}
	}
}

func TestStalledBy(t *testing.T) {
	own, cancel := context.WithTimeoutCause(context.Background(), time.Nanosecond, errTimeout)
	defer cancel()
	<-own.Done()
	caller, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-caller.Done()
	if reason, ok := stalledBy(caller, fmt.Errorf("rolling: %w", stallError{"x"}), "ROLLING", time.Minute); !ok || reason != "x" {
		t.Errorf("a stall: %q %v", reason, ok)
	}
	if reason, ok := stalledBy(own, fmt.Errorf("wait: %w", context.DeadlineExceeded), "BAKE_TIME", time.Minute); !ok || !strings.Contains(reason, "phase BAKE_TIME within the rehearsal's timeout (1m0s") {
		t.Errorf("the timeout: %q %v", reason, ok)
	}
	if _, ok := stalledBy(caller, fmt.Errorf("wait: %w", context.DeadlineExceeded), "BAKE_TIME", time.Minute); ok {
		t.Error("the caller's deadline (an interrupted rehearsal) counts as a stall")
	}
	if _, ok := stalledBy(own, errors.New("start: no such file"), "ROLLING", time.Minute); ok {
		t.Error("any other error counts as a stall")
	}
}
