package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A deployment that cannot finish under the template's rules: ECS leaves it IN_PROGRESS,
// which the rehearsal reports as STALLED instead of waiting for it.
const (
	outcomeStalled = "STALLED"
	VerdictStalled = "stalled"
)

// whatNext is what real ECS and CloudFormation do with a deployment that cannot finish.
// ECS: without a circuit breaker or a deployment alarm that goes into ALARM, nothing marks
// the deployment FAILED; the scheduler keeps replacing the failing tasks, launching them less
// often after repeated failures (ECS developer guide, "service throttle logic"), and the old
// tasks keep serving within minimumHealthyPercent (1.1). CloudFormation: an update of
// AWS::ECS::Service waits for the service to stabilize, then fails the resource and rolls the
// stack back to the previous template, itself one more ECS deployment back to the old task
// definition. How long it waits for an ECS service is 3 hours: observed and reported on
// CloudFormation's own tracker ("CloudFormation does not recognize a failed ECS deployment,
// instead timing out after 3 hours", aws-cloudformation/cloudformation-coverage-roadmap#1391;
// #150; aws/containers-roadmap#1303, "the default timeout (~3 hours)"); the CloudFormation
// Template Reference documents only the outer bound ("CloudFormation operations time out after
// 36 hours", AWS::ECS::Service CanaryConfiguration). Inferred, not documented.
const whatNext = "real ECS would keep this deployment IN_PROGRESS, replacing the failing tasks with ever slower launches (service throttle logic) while the old tasks keep serving; " +
	"CloudFormation would wait for the service to stabilize, up to 3 hours for an ECS service, then fail the update and roll the stack back to the previous task definition (one more deployment). " +
	"Turn on the deployment circuit breaker with rollback (keel's service construct does) or a deployment alarm, and ECS ends such a deployment in minutes"

// stallError ends a deployment the template's rules cannot finish.
type stallError struct{ reason string }

func (e stallError) Error() string { return "stalled: " + e.reason }

// stalled: the deployment's new tasks have failed in a row as often as ECS's circuit breaker
// would allow before failing it (its threshold, 4.1), no task of it has turned healthy since,
// and nothing in the template can end it: no circuit breaker, and no deployment alarm in ALARM
// (tripped found none). Waiting longer would only repeat the same launches.
func (d *detector) stalled() error {
	if !d.watching || d.breaker || d.inARow < d.s.plan.BreakerThreshold() {
		return nil
	}
	alarms := "no deployment alarms"
	if d.ignored != nil {
		alarms = "no deployment alarm in ALARM"
	}
	return stallError{fmt.Sprintf("%d new tasks failed in a row and none turned healthy, with no circuit breaker and %s: nothing in the template ends this deployment", d.inARow, alarms)}
}

// errTimeout is the cause of the rehearsal's own timeout: a caller's deadline or Ctrl-C ends the
// rehearsal as interrupted, not stalled.
var errTimeout = errors.New("the rehearsal's timeout")

// stalledBy turns what ended a deployment early into its STALLED outcome: a stall the
// detector saw, or the rehearsal's timeout (a phase that made no progress within it).
func stalledBy(ctx context.Context, err error, phase string, timeout time.Duration) (reason string, ok bool) {
	var stall stallError
	switch {
	case errors.As(err, &stall):
		return stall.reason, true
	case errors.Is(err, context.DeadlineExceeded) && errors.Is(context.Cause(ctx), errTimeout):
		return fmt.Sprintf("the deployment made no progress to the end of phase %s within the rehearsal's timeout (%v real time)", phase, timeout), true
	}
	return "", false
}

// stalled ends a deployment that cannot finish: no task is started any more, the load stops,
// and the report gets what was measured up to here, with the old version still serving.
func stalled(svc *service, ld *loader, stopLoad func(), loadDone <-chan struct{}, d deployment, reason string) deployment {
	svc.tl.add("deployment", "", outcomeStalled, reason)
	svc.stopping.Wait()
	d.end = time.Now()
	d.outcome, d.reason = outcomeStalled, reason
	d.shares = svc.lb.closeShares()
	stopLoad()
	<-loadDone
	d.outcomes = ld.outcomes()
	d.serving = servingVersions(svc.lb.addr, 10)
	return d
}
