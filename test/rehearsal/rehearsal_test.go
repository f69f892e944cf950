package rehearsal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync/vsynctest"
	"github.com/keelstack/keel/tools/rehearsal"
)

// speed compresses the templates' waits in every test (the report states it): prod's
// 10-minute canary bake takes 20 s.
const speed = 30

// load is the client load of every test: steady requests plus slow uploads back to back.
func load(longest time.Duration) rehearsal.Load {
	return rehearsal.Load{Rate: 40, SlowClients: 8, Longest: longest}
}

// run rehearses with TMPDIR pointing at a directory of the test's own, and checks that no
// process and no file outlives the rehearsal, whatever its result.
func run(t *testing.T, ctx context.Context, plan rehearsal.Plan, scenario string, l rehearsal.Load) (*rehearsal.Report, error) {
	t.Helper()
	return runAt(t, ctx, speed, plan, scenario, l)
}

func runAt(t *testing.T, ctx context.Context, speed float64, plan rehearsal.Plan, scenario string, l rehearsal.Load) (*rehearsal.Report, error) {
	t.Helper()
	versitygw := vsynctest.VersityGWPath(t) // fails on CI when missing
	if versitygw == "" {
		t.Skipf("%s is not set: the rehearsal runs the real S3 server (make test sets it)", vsynctest.VersityGWEnv)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	r, err := rehearsal.Run(ctx, rehearsal.Options{
		Plan: plan, Scenario: scenario, Old: oldBin, New: newBin,
		VersityGW: versitygw, Speed: speed, Load: l, ErrorShare: 0.5,
		Settle: time.Second, Timeout: 3 * time.Minute,
	})
	if r != nil {
		var table bytes.Buffer
		_ = r.WriteTable(&table)
		t.Log("\n" + table.String())
	}
	if left := children(t); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("files left behind in TMPDIR: %v", entries)
	}
	return r, err
}

func plan(t *testing.T, name string) rehearsal.Plan {
	t.Helper()
	p, err := rehearsal.LoadPlan(templates[name], name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// children lists the processes whose parent is this test process.
func children(t *testing.T) []string {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	self := strconv.Itoa(os.Getpid())
	var out []string
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := string(b[bytes.LastIndexByte(b, ')')+2:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == self {
			out = append(out, strings.TrimSpace(string(b[:bytes.LastIndexByte(b, ')')+1])))
		}
	}
	return out
}

// TestPlanFromTemplate: the rehearsal reads the synthesized numbers, and a context override
// reaches it (nothing is configured twice).
func TestPlanFromTemplate(t *testing.T) {
	dev := plan(t, "dev")
	ceiling, floor := dev.Bounds()
	if dev.DesiredCount != 1 || ceiling != 2 || floor != 1 || dev.Strategy != "ROLLING" ||
		dev.HealthCheck.Path != "/healthz" || dev.HealthCheck.Interval != 10*time.Second ||
		dev.DeregistrationDelay != 5*time.Second || dev.GracePeriod != 30*time.Second ||
		dev.StopTimeout != 30*time.Second || dev.ContainerCheck == nil || dev.BreakerThreshold() != 3 ||
		len(dev.Alarms) == 0 || len(dev.Unmeasured) > 0 || dev.AlarmBake() != time.Minute || dev.Env["SHUTDOWN_BUDGET"] != "20s" {
		t.Errorf("dev plan: %+v", dev)
	}
	if p := plan(t, "prod"); p.DesiredCount != 3 || p.AlarmBake() != 2*time.Minute {
		t.Errorf("prod plan: desired %d, alarm bake %v", p.DesiredCount, p.AlarmBake())
	}
	if p := plan(t, "dev-short-drain"); p.DeregistrationDelay != time.Second {
		t.Errorf("the context override did not reach the plan: deregistration delay %v", p.DeregistrationDelay)
	}
}

// TestDevInAboutAMinute: dev's deployment, rehearsed in real time, is due within about a
// minute and a half: one wave of the 5 s deregistration delay, ECS's alarm bake of dev's
// 1-minute deployment alarms, and the margin. This is arithmetic on the template, not a
// timing; `make bench` measures the real-time run.
func TestDevInAboutAMinute(t *testing.T) {
	f := plan(t, "dev").Floor(1)
	if total := f.Floor + f.Margin; total > 90*time.Second {
		t.Errorf("dev's rehearsal in real time is due after up to %v (%s), want at most 90 s", total, f.How)
	}
}

// TestRollingGood: dev's rolling deployment of a good version drops nothing, deploys, and
// takes no longer than the floor plus the stated margin.
func TestRollingGood(t *testing.T) {
	p := plan(t, "dev")
	r, err := run(t, context.Background(), p, rehearsal.ScenarioGood, load(p.DeregistrationDelay/2))
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != rehearsal.VerdictDeployed || r.Total.Failed != 0 || r.Total.Sent == 0 {
		t.Errorf("verdict %s, %d of %d requests failed: %v", r.Verdict, r.Total.Failed, r.Total.Sent, r.Why)
	}
	if d, limit := time.Duration(r.Duration), time.Duration(r.Floor+r.Margin); d < time.Duration(r.Floor) || d > limit {
		t.Errorf("duration %v outside floor %v .. floor + margin %v", d, time.Duration(r.Floor), limit)
	}
	var slow bool
	for _, ph := range r.Phases {
		slow = slow || ph.Phase == "ROLLING" && ph.Sent > 0
	}
	if !slow {
		t.Error("no request was sent while the deployment rolled")
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil || !json.Valid(js.Bytes()) {
		t.Errorf("JSON report: %v", err)
	}
}

// TestRollingBadVersionRollsBack: a version that cannot boot, and one that fails the load
// balancer's health check, are rolled back without a failed request; the old version serves.
func TestRollingBadVersionRollsBack(t *testing.T) {
	for _, scenario := range []string{rehearsal.ScenarioCrash, rehearsal.ScenarioUnhealthy} {
		t.Run(scenario, func(t *testing.T) {
			p := plan(t, "dev")
			r, err := run(t, context.Background(), p, scenario, load(p.DeregistrationDelay/2))
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != rehearsal.VerdictRolledBack || r.Total.Failed != 0 || r.Serving["rehearsal-old"] != 10 {
				t.Errorf("verdict %s, %d failed, serving %v: %v", r.Verdict, r.Total.Failed, r.Serving, r.Why)
			}
			if !strings.Contains(r.Reason, "circuit breaker") && !strings.Contains(r.Reason, "alarm") {
				t.Errorf("rolled back for %q", r.Reason)
			}
		})
	}
}

// TestWrongStageFails: dev with a 1 s deregistration delay cuts the slow requests the
// correct dev survives (half of its 5 s): the rehearsal reports them and fails. At speed 10
// the slow requests last 250 ms and the delay 100 ms: with sixteen staggered slow clients
// several are always open with more than 100 ms to go.
func TestWrongStageFails(t *testing.T) {
	good := plan(t, "dev")
	l := load(good.DeregistrationDelay / 2)
	l.SlowClients = 16
	r, err := runAt(t, context.Background(), 10, plan(t, "dev-short-drain"), rehearsal.ScenarioGood, l)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != rehearsal.VerdictFailed || r.Total.ByDeployment == 0 {
		t.Errorf("verdict %s with %d requests failed by the deployment, want failed with some", r.Verdict, r.Total.ByDeployment)
	}
}

// TestInterruptCleansUp: cancelling mid-deployment (Ctrl-C) stops everything (run checks).
func TestInterruptCleansUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	p := plan(t, "dev")
	if _, err := run(t, ctx, p, rehearsal.ScenarioGood, load(p.DeregistrationDelay/2)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("interrupted rehearsal: %v, want the context's error", err)
	}
}

// canaryPlan is prod's ECS-native canary, as synthesized.
func canaryPlan(t *testing.T) rehearsal.Plan {
	t.Helper()
	p := plan(t, "prod")
	if p.Strategy != "CANARY" || !p.AlternateTG {
		t.Fatalf("prod's template deploys %s (alternate target group %v), want an ECS-native canary", p.Strategy, p.AlternateTG)
	}
	return p
}

// shareTolerance is how far the observed canary share may be from the template's, in
// percentage points: the balancer's weighted choice is deterministic, so it is off only by
// the requests in flight when the weight changed.
const shareTolerance = 1.0

// TestCanaryGood: prod's canary shifts 10 % then 100 %, drops nothing, deploys.
func TestCanaryGood(t *testing.T) {
	p := canaryPlan(t)
	r, err := run(t, context.Background(), p, rehearsal.ScenarioGood, load(p.DeregistrationDelay/2))
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != rehearsal.VerdictDeployed || r.Total.Failed != 0 {
		t.Errorf("verdict %s, %d failed: %v", r.Verdict, r.Total.Failed, r.Why)
	}
	if len(r.Shares) != 2 {
		t.Fatalf("traffic shares %+v, want the canary's and 100 %%", r.Shares)
	}
	for _, s := range r.Shares {
		if math.Abs(s.Observed-s.Want) > shareTolerance || s.Requests < 50 {
			t.Errorf("share %+v: observed off by more than %g points, or too few requests", s, shareTolerance)
		}
	}
}

// TestCanaryErrorsRollBack: a new version failing half its requests is rolled back by the
// deployment alarm during the canary; the 5xx it answered stay within the canary's share of
// the traffic over the detection time.
func TestCanaryErrorsRollBack(t *testing.T) {
	p := canaryPlan(t)
	r, err := run(t, context.Background(), p, rehearsal.ScenarioErrors, load(p.DeregistrationDelay/2))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bound: %s", r.ErrorBoundHow)
	if r.Verdict != rehearsal.VerdictRolledBack || !strings.Contains(r.Reason, "alarm") {
		t.Errorf("verdict %s (%s), want rolled back by the alarm: %v", r.Verdict, r.Reason, r.Why)
	}
	if r.Target5xx == 0 || r.Target5xx > r.ErrorBound || r.Total.ByDeployment != 0 || r.Serving["rehearsal-old"] != 10 {
		t.Errorf("target 5xx %d (bound %d), %d failed by the deployment, serving %v", r.Target5xx, r.ErrorBound, r.Total.ByDeployment, r.Serving)
	}
}
