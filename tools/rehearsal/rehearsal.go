// Package rehearsal runs a stage's deployment locally before it reaches AWS: it reads the
// stage's synthesized service template, runs the real server binaries as tasks on the real
// vault (versitygw), puts a local load balancer that behaves as an ALB target group in front
// of them, and deploys a new version the way ECS does, under client load, counting every
// answer. The AWS rules it models are written next to the code with their rule number in the
// team's deployment notes (ecs-deployments.md: "1.3" is section 1, rule 3) and their AWS
// source key (ROLL, DRAIN, LBHC, TGHC, TGA, CB, ALM, SD, CAN, LIN, DC, CS, CDEF, ...: pages
// of docs.aws.amazon.com's ECS developer guide, ECS API reference and ALB guide).
package rehearsal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// Scenarios.
const (
	ScenarioGood      = "good"      // a new version
	ScenarioCrash     = "crash"     // the new tasks fail to boot: a wrong passphrase
	ScenarioUnhealthy = "unhealthy" // a proxy answers 503 on the health-check path
	ScenarioErrors    = "errors"    // a proxy answers a share of requests with 500
)

// Scenarios lists the scenarios.
var Scenarios = []string{ScenarioGood, ScenarioCrash, ScenarioUnhealthy, ScenarioErrors}

// Options is one rehearsal.
type Options struct {
	Plan      Plan
	Scenario  string
	Old, New  string // server binaries
	VersityGW string
	// Speed divides the template's waits (see clock); 1 is real time.
	Speed float64
	Load  Load
	// ErrorShare is the share of requests the errors scenario's proxy fails.
	ErrorShare float64
	// Settle is real time under load before and after the deployment.
	Settle time.Duration
	// Timeout bounds the whole deployment (real time).
	Timeout time.Duration
}

const (
	vaultPrefix = "keel/rehearsal/"
	vaultSalt   = "rehearsalSaltRehearsal=="
	// vaultIterations is what `vault token` mints by default. Key derivation is part of every
	// boot; under a speed factor it is divided like the template's waits, so that the
	// compressed grace period and health-check schedule meet a boot of the same proportion.
	vaultIterations = 600_000
)

// Run rehearses one deployment and returns its report. Every process, port and file it
// starts is gone when it returns, also when ctx is cancelled (Ctrl-C).
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "keel-rehearsal-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	s3, err := vsynctest.LaunchVersityGW(o.VersityGW, filepath.Join(work, "s3"), "")
	if err != nil {
		return nil, err
	}
	defer s3.Stop()
	secrets, err := publishVault(ctx, s3, max(1000, int(vaultIterations/o.Speed)))
	if err != nil {
		return nil, err
	}

	clk := clock{speed: o.Speed, start: time.Now()}
	tl := &timeline{clock: clk}
	m := newMetricStore()
	lb := newBalancer(o.Plan, clk, tl, m)
	if err := lb.start(); err != nil {
		return nil, err
	}
	defer lb.close()
	al := newAlarms(o.Plan.Alarms, clk, tl, m)
	bg, stopBG := context.WithCancel(context.Background())
	var bgWG sync.WaitGroup
	defer func() { stopBG(); bgWG.Wait() }()
	al.run(bg, &bgWG)
	bgWG.Add(1)
	go func() {
		defer bgWG.Done()
		sampleGauges(bg, lb, m, max(20*time.Millisecond, clk.scale(o.Plan.HealthCheck.Interval)/4))
	}()

	logs := filepath.Join(work, "tasks")
	if err := os.Mkdir(logs, 0o700); err != nil {
		return nil, err
	}
	old := &Revision{Name: "old", Binary: o.Old}
	next := &Revision{Name: "new", Binary: o.New}
	switch o.Scenario {
	case ScenarioCrash:
		next.WrongPassphrase = true
	case ScenarioUnhealthy:
		next.Fault.HealthStatus = http.StatusServiceUnavailable
	case ScenarioErrors:
		next.Fault.ErrorShare = o.ErrorShare
	}
	svc := &service{plan: o.Plan, clock: clk, tl: tl, lb: lb, alarms: al, logDir: logs, secrets: func(r *Revision) []string {
		if r.WrongPassphrase {
			return secrets.wrong
		}
		return secrets.right
	}}
	defer func() { svc.killAll(); svc.stopping.Wait() }()

	r := &Report{Stage: o.Plan.Stage, Scenario: o.Scenario, Strategy: o.Plan.Strategy, Speed: o.Speed, Plan: o.Plan, Longest: ms(o.Load.Longest), ErrorShare: o.ErrorShare}
	d, err := rehearse(ctx, o, svc, old, next, r)
	if err != nil {
		return nil, err
	}
	r.finish(o, svc, d)
	return r, nil
}

// deployment is what the run measured.
type deployment struct {
	start, end time.Time
	outcome    string
	reason     string
	outcomes   []outcome
	shares     []Share
	serving    map[string]int
}

func rehearse(ctx context.Context, o Options, svc *service, old, next *Revision, r *Report) (deployment, error) {
	var d deployment
	// The rehearsal's own bound, told apart from the caller's (Ctrl-C, or a caller's deadline):
	// only running out of it is a stall.
	ctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, errTimeout)
	defer cancel()
	// The running service: the previous COMPLETED deployment (4.3), all old tasks healthy.
	svc.setPhase("steady (old)")
	if _, _, err := svc.rolling(ctx, old, false); err != nil {
		return d, fmt.Errorf("the old version did not become healthy: %w", err)
	}
	ld := newLoader(o.Load, svc.clock, svc.lb.addr, svc.currentPhase)
	loadCtx, stopLoad := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() { ld.run(loadCtx); close(loadDone) }()
	defer func() { stopLoad(); <-loadDone }()
	if err := sleep(ctx, o.Settle); err != nil {
		return d, err
	}

	d.start = time.Now()
	var reason string
	var rollback bool
	var err error
	if o.Plan.Strategy == "ROLLING" {
		svc.setPhase("ROLLING")
		reason, rollback, err = svc.rolling(ctx, next, true)
	} else {
		reason, rollback, err = svc.progressive(ctx, next, old)
	}
	if reason, ok := stalledBy(ctx, err, svc.currentPhase(), o.Timeout); ok {
		return stalled(svc, ld, stopLoad, loadDone, d, reason), nil
	}
	if err != nil {
		return d, deployErr(err)
	}
	d.outcome, d.reason = outcomeCompleted, "the new version serves at the desired count"
	if reason != "" {
		d.outcome, d.reason = outcomeFailed, reason
		if rollback {
			svc.setPhase("ROLLBACK")
			if o.Plan.Strategy == "ROLLING" {
				_, _, err = svc.rolling(ctx, old, false)
			} else {
				svc.revert(next)
			}
			if err != nil {
				return d, deployErr(err)
			}
			d.outcome = outcomeRolledBack
		}
	}
	svc.stopping.Wait()
	d.end = time.Now()
	svc.setPhase("after")
	if err := sleep(ctx, o.Settle); err != nil {
		return d, err
	}
	d.shares = svc.lb.closeShares()
	stopLoad()
	<-loadDone
	d.outcomes = ld.outcomes()
	d.serving = servingVersions(svc.lb.addr, 10)
	return d, nil
}

func deployErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the deployment did not finish within the rehearsal's timeout (stalled: see the bounds and the timeline): %w", err)
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// servingVersions asks the balancer's /healthz n times and counts the versions.
func servingVersions(url string, n int) map[string]int {
	out := map[string]int{}
	c := &http.Client{Timeout: 5 * time.Second}
	for range n {
		var h struct {
			Version string `json:"version"`
		}
		resp, err := c.Get(url + "/healthz")
		if err != nil {
			out["(no answer)"]++
			continue
		}
		_ = decodeJSON(resp, &h)
		out[h.Version]++
	}
	return out
}

type vaultSecrets struct{ right, wrong []string }

// publishVault publishes a vault on the local S3 server and returns the secrets ECS would
// inject: the config token and the passphrase (and a wrong passphrase for the crash scenario).
func publishVault(ctx context.Context, s3 *vsynctest.S3Server, iterations int) (vaultSecrets, error) {
	pass, wrong := random(), random()
	cfg := s3.Config(vaultPrefix, "rehearsal", vaultSalt, iterations)
	// The writer's floor guards real vaults; this one lives on the local S3 server for one
	// rehearsal, and its derivation is scaled with the speed factor on purpose (vaultIterations).
	release := vsync.Release{KV: map[string]string{"BILLING_KEY": "rehearsal-billing-key"}}
	if _, err := vsync.Publish(ctx, s3.Store(), cfg, pass, release, time.Now(), vsync.WithIterationFloor(iterations)); err != nil {
		return vaultSecrets{}, fmt.Errorf("publish the vault: %w", err)
	}
	token, err := vsync.EncodeConfig(cfg)
	if err != nil {
		return vaultSecrets{}, err
	}
	return vaultSecrets{
		right: []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + pass},
		wrong: []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + wrong},
	}, nil
}

func random() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (o Options) validate() error {
	var errs []error
	if o.Speed < 1 {
		errs = append(errs, fmt.Errorf("speed %g: use 1 (real time) or more", o.Speed))
	}
	found := false
	for _, s := range Scenarios {
		found = found || s == o.Scenario
	}
	if !found {
		errs = append(errs, fmt.Errorf("scenario %q: use one of %v", o.Scenario, Scenarios))
	}
	if o.Scenario == ScenarioErrors && (o.ErrorShare <= 0 || o.ErrorShare > 1) {
		errs = append(errs, fmt.Errorf("error share %g: use a value in (0, 1]", o.ErrorShare))
	}
	if o.Load.Longest <= 0 {
		errs = append(errs, errors.New("the longest request must be positive"))
	}
	if err := checkCommand(o.Plan.ContainerCheck); err != nil {
		errs = append(errs, err)
	}
	for _, p := range []string{o.Old, o.New, o.VersityGW} {
		if _, err := os.Stat(p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}
