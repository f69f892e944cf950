package rehearsal

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/tools/rehearsal"
)

// TestCrashWithoutBreakerStalls: dev's template with the circuit breaker and the deployment
// alarms turned off, and a new version that cannot boot: nothing would ever end the ECS
// deployment. The rehearsal ends it after as many failed tasks in a row as the breaker would
// have allowed, with the timeline, the counts and a STALLED verdict that says what ECS and
// CloudFormation would do next; the old version serves throughout.
func TestCrashWithoutBreakerStalls(t *testing.T) {
	p := plan(t, "dev")
	p.CircuitBreaker, p.AlarmSwitch = rehearsal.Switch{}, rehearsal.Switch{}
	r, err := run(t, context.Background(), p, rehearsal.ScenarioCrash, load(p.DeregistrationDelay/2))
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != rehearsal.VerdictStalled || r.Outcome != "STALLED" {
		t.Fatalf("verdict %s, outcome %s (%s), want stalled", r.Verdict, r.Outcome, r.Reason)
	}
	// Ended by the detector, not by the rehearsal's timeout.
	if !strings.Contains(r.Reason, "new tasks failed in a row") || !strings.Contains(r.Reason, "no circuit breaker") {
		t.Errorf("reason %q, want the failed tasks and the missing breaker", r.Reason)
	}
	if why := strings.Join(r.Why, "\n"); !strings.Contains(why, "up to 3 hours") || !strings.Contains(why, "IN_PROGRESS") || !strings.Contains(why, "roll the stack back") {
		t.Errorf("the verdict does not say what ECS and CloudFormation would do next:\n%s", why)
	}
	if !slices.ContainsFunc(r.Timeline, func(e rehearsal.Event) bool { return e.State == "STALLED" }) {
		t.Error("no STALLED event in the timeline")
	}
	if r.Total.Sent == 0 || r.Total.Failed != 0 || r.Serving["rehearsal-old"] != 10 {
		t.Errorf("%d of %d requests failed, serving %v: the old version must serve throughout", r.Total.Failed, r.Total.Sent, r.Serving)
	}
}
