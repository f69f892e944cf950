// Command rehearse runs a stage's deployment locally with the real server binaries, the real
// vault on a local S3 server and the numbers of the stage's synthesized template, under
// client load, and says whether it would deploy, roll back, or fail:
//
//	rehearse --stage dev [--scenario good|crash|unhealthy|errors] [--speed 4] [--report FILE]
//
// Without --old and --new it builds the working tree twice with the Dockerfile's go build,
// stamped rehearsal-old and rehearsal-new. Exit status: 0 for the expected verdict (deployed
// for good, rolled back for the others), 1 otherwise, 2 for bad input, 130 when interrupted.
package rehearse

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/keelstack/keel/tools/rehearsal"
)

type usageError struct{ error }

// errUnexpected is returned when the verdict is not the scenario's expected one.
var errUnexpected = errors.New("the verdict is not the one this scenario expects")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rehearse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stage := fs.String("stage", "", "the stage to rehearse (dev, staging, prod)")
	cdkOut := fs.String("assembly", "cdk.out", "the cloud assembly `make synth` wrote")
	template := fs.String("template", "", "a service template to read instead of --assembly's")
	scenario := fs.String("scenario", rehearsal.ScenarioGood, "good, crash, unhealthy or errors")
	speed := fs.Float64("speed", 1, "divide the template's waits by this factor (1: real time); the report states it")
	oldBin := fs.String("old", "", "the running version's server binary (default: build the working tree)")
	newBin := fs.String("new", "", "the new version's server binary (default: build the working tree)")
	versitygw := fs.String("versitygw", ".tools/bin/versitygw", "the versitygw binary (scripts/install-tools versitygw)")
	rate := fs.Int("rate", 40, "steady client requests per second")
	slow := fs.Int("slow-clients", 4, "clients sending slow uploads back to back")
	longest := fs.Duration("longest", 0, "the longest request the stage should survive, template time (default: half the deregistration delay)")
	errorShare := fs.Float64("error-share", 0.5, "the share of requests the errors scenario fails")
	settle := fs.Duration("settle", 2*time.Second, "real time under load before and after the deployment")
	timeout := fs.Duration("timeout", 0, "give up after this much real time (default: 5 × the waits the template imposes, ÷ speed, + 2 min)")
	jsonOut := fs.String("report", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *stage == "" && *template == "" {
		return usageError{errors.New("--stage is required (or --template)")}
	}
	path := *template
	if path == "" {
		var err error
		if path, err = rehearsal.FindTemplate(*cdkOut, *stage); err != nil {
			return usageError{err}
		}
	}
	plan, err := rehearsal.LoadPlan(path, *stage)
	if err != nil {
		return usageError{err}
	}
	if *longest == 0 {
		*longest = plan.DeregistrationDelay / 2
	}
	if *timeout == 0 {
		*timeout = plan.Timeout(*speed)
	}
	if *oldBin == "" || *newBin == "" {
		dir, err := os.MkdirTemp("", "keel-rehearse-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(stderr, "rehearse: building the server twice (rehearsal-old, rehearsal-new) with the Dockerfile's go build")
		root, _ := filepath.Abs(".")
		if *oldBin, err = rehearsal.BuildServer(root, dir, "rehearsal-old"); err != nil {
			return err
		}
		if *newBin, err = rehearsal.BuildServer(root, dir, "rehearsal-new"); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "rehearse: %s %s deployment of %d task(s), scenario %s, speed ×%g\n", *stage, plan.Strategy, plan.DesiredCount, *scenario, *speed)
	r, err := rehearsal.Run(ctx, rehearsal.Options{
		Plan: plan, Scenario: *scenario, Old: *oldBin, New: *newBin, VersityGW: *versitygw, Speed: *speed,
		Load:       rehearsal.Load{Rate: *rate, SlowClients: *slow, Longest: *longest},
		ErrorShare: *errorShare, Settle: *settle, Timeout: *timeout,
	})
	if err != nil {
		return err
	}
	if err := r.WriteTable(stdout); err != nil {
		return err
	}
	if *jsonOut != "" {
		f, err := os.OpenFile(*jsonOut, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if err := errors.Join(r.WriteJSON(f), f.Close()); err != nil {
			return err
		}
	}
	want := rehearsal.VerdictRolledBack
	if *scenario == rehearsal.ScenarioGood {
		want = rehearsal.VerdictDeployed
	}
	if r.Verdict != want {
		return fmt.Errorf("%w: %s, want %s", errUnexpected, r.Verdict, want)
	}
	return nil
}
