// Package rollback is `keel rollback STAGE`. A deployment in progress is stopped with ECS's
// StopServiceDeployment (stopType ROLLBACK), which returns the service to the revision it
// replaced; keel then waits, with progress, until the service is steady. A deployment that
// already completed is not touched: rolling it back means deploying the previous release
// through the pipeline, so that the stack stays the source of truth ("Manage all stack
// resources through AWS CloudFormation", CloudFormation best practices:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/best-practices.html); keel
// says how and changes nothing.
package rollback

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/keelstack/keel/cmd/internal/awsstage"
	"github.com/keelstack/keel/cmd/internal/cli"
	"github.com/keelstack/keel/cmd/keel/releases"
)

// options are the flags of one run.
type options struct {
	yes               bool
	timeout, interval time.Duration
}

// Run is `keel rollback STAGE [--yes]`; it asks on standard input unless --yes.
func Run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	return run(ctx, args, os.Stdin, stdout, stderr)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("rollback", "keel rollback STAGE [--yes]", "Stop STAGE's deployment in progress and return to the previous revision (ECS rollback),\nthen wait until the service is steady. A completed deployment is rolled back through the\npipeline; keel says how and changes nothing.", stderr)
	var o options
	fs.BoolVar(&o.yes, "yes", false, "do not ask before stopping the deployment (for scripts)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up waiting for the service to be steady after this long")
	fs.DurationVar(&o.interval, "interval", 10*time.Second, "time between checks while waiting")
	cdkJSON := awsstage.SettingsFlag(fs)
	stage, err := cli.Parse(fs, args)
	if stage == "" || err != nil {
		return err
	}
	st, err := awsstage.Open(ctx, *cdkJSON, stage)
	if err != nil {
		return err
	}
	if _, err := st.Service(ctx); err != nil {
		return err
	}
	active, err := st.Deployments(ctx, 0, ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress)
	if err != nil {
		return err
	}
	if len(active) == 0 {
		return completed(ctx, st)
	}
	d := active[0]
	arn := aws.ToString(d.ServiceDeploymentArn)
	fmt.Fprintf(stdout, "%s: deployment %s is %s (phase %s), started %s.\nRolling back stops it and returns the service to the revision it replaces%s.\n",
		st.Name, shortID(arn), d.Status, orDash(string(d.LifecycleStage)), aws.ToTime(d.StartedAt).UTC().Format(time.RFC3339), stackEffect(st))
	if !o.yes {
		ok, err := confirm(stdin, stdout, "Roll back "+st.Name+"? [y/N] ")
		if err != nil {
			return err
		}
		if !ok {
			return cli.Usage(errors.New("not confirmed; nothing was changed (pass --yes to roll back without asking)"))
		}
	}
	if _, err := st.ECS.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), StopType: ecstypes.StopServiceDeploymentStopTypeRollback}); err != nil {
		if awsstage.Code(err) == "ConflictException" {
			return fmt.Errorf("deployment %s is no longer in progress (it finished or was stopped meanwhile); keel status %s shows where it is: %w", shortID(arn), st.Name, err)
		}
		return awsstage.Describe(err, "stop deployment "+shortID(arn))
	}
	return wait(ctx, st, arn, o, stdout, stderr)
}

// confirm asks on in; only y or yes (any case) agrees. No terminal or an empty answer is no.
func confirm(in io.Reader, out io.Writer, question string) (bool, error) {
	fmt.Fprint(out, question)
	answer, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	fmt.Fprintln(out)
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// completed explains, for a stage whose last deployment finished, how to roll back through the
// pipeline; it changes nothing and exits 1.
func completed(ctx context.Context, st *awsstage.Stage) error {
	rs, err := releases.List(ctx, st, 10)
	if err != nil {
		return err
	}
	var live, previous *releases.Release
	for i := range rs {
		if rs[i].Status != string(ecstypes.ServiceDeploymentStatusSuccessful) {
			continue
		}
		if live == nil {
			live = &rs[i]
		} else if rs[i].Revision != live.Revision {
			previous = &rs[i]
			break
		}
	}
	if live == nil || previous == nil {
		return fmt.Errorf("no deployment of %s is in progress and there is no earlier successful release to return to; nothing was changed", st.Name)
	}
	return fmt.Errorf("no deployment of %s is in progress: the live release %s completed at %s; roll back through the pipeline so that the stack stays the source of truth: %s; nothing was changed",
		st.Name, describe(*live), live.Finished.UTC().Format(time.RFC3339), how(*live, *previous, st.Name))
}

func describe(r releases.Release) string {
	if r.Version == "" {
		return r.TaskDefinition
	}
	if r.Commit == "" {
		return r.Version
	}
	return r.Version + " (commit " + r.Commit + ")"
}

func how(live, previous releases.Release, stage string) string {
	if live.Commit != "" && previous.Commit != "" {
		return fmt.Sprintf("git revert %s..%s and push to main (the pipeline deploys %s again), or from a checkout of %s: make deploy STAGE=%s", previous.Commit, live.Commit, previous.Version, previous.Commit, stage)
	}
	return fmt.Sprintf("revert the change that deployed %s and push to main, or deploy the commit of %s with make deploy STAGE=%s", describe(live), describe(previous), stage)
}

// stackEffect says what happens to the stack. Inferred from CloudFormation's documented
// behaviour for AWS::ECS::Service (an update waits for the service to be stable and fails
// when ECS's deployment fails, and a failed update rolls the stack back): while the stack is
// updating, the stopped deployment fails that update and the stack returns to its previous
// template, so stack and service agree again.
func stackEffect(st *awsstage.Stage) string {
	if st.Stack.StackStatus == cftypes.StackStatusUpdateInProgress {
		return "; CloudFormation's update of " + st.StackName + " then fails and rolls the stack back to its previous template"
	}
	return ", the one stack " + st.StackName + " last deployed"
}

func shortID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
