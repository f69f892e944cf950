// Package drift is `keel drift STAGE`: CloudFormation's drift detection on the stage's
// service stack (DetectStackDrift, then DescribeStackDriftDetectionStatus until it is done,
// then DescribeStackResourceDrifts), listing each resource changed outside CloudFormation and
// how. It exits 1 when anything drifted, so that a schedule or CI can alert on it.
package drift

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/keelstack/keel/cmd/internal/awsstage"
	"github.com/keelstack/keel/cmd/internal/cli"
)

// Resource is one drifted resource.
type Resource struct {
	LogicalID   string       `json:"logical_id"`
	PhysicalID  string       `json:"physical_id"`
	Type        string       `json:"type"`
	Status      string       `json:"status"`
	Differences []Difference `json:"differences,omitempty"`
}

// Difference is one property that differs from the template.
type Difference struct {
	Path     string `json:"path"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Type     string `json:"type"`
}

// Report is `keel drift --json`.
type Report struct {
	Stack   string     `json:"stack"`
	Status  string     `json:"drift_status"`
	Drifted []Resource `json:"drifted"`
}

// Run is `keel drift STAGE [--json]`.
func Run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("drift", "keel drift STAGE [--json]", "Resources of STAGE's stack changed outside CloudFormation; exit 1 when any drifted.", stderr)
	asJSON := fs.Bool("json", false, "print the drifted resources as JSON (for scripts) instead of a table")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up waiting for the detection after this long")
	interval := fs.Duration("interval", 5*time.Second, "time between checks while CloudFormation detects")
	cdkJSON := awsstage.SettingsFlag(fs)
	stage, err := cli.Parse(fs, args)
	if stage == "" || err != nil {
		return err
	}
	st, err := awsstage.Open(ctx, *cdkJSON, stage)
	if err != nil {
		return err
	}
	status, err := detect(ctx, st, *timeout, *interval, stderr)
	if err != nil {
		return err
	}
	r, err := drifted(ctx, st, status)
	if err != nil {
		return err
	}
	if *asJSON {
		err = cli.JSON(stdout, r)
	} else {
		err = write(stdout, r)
	}
	if err != nil {
		return err
	}
	if len(r.Drifted) > 0 {
		return fmt.Errorf("%d resource(s) of %s changed outside CloudFormation: deploy the stage to put them back (make deploy STAGE=%s), or bring the change into the code", len(r.Drifted), st.StackName, st.Name)
	}
	return nil
}

// detect starts a detection and waits for it, with a progress line.
func detect(ctx context.Context, st *awsstage.Stage, timeout, interval time.Duration, stderr io.Writer) (cftypes.StackDriftStatus, error) {
	start, err := st.CloudFormation.DetectStackDrift(ctx, &cloudformation.DetectStackDriftInput{StackName: aws.String(st.StackName)})
	if err != nil {
		return "", awsstage.Describe(err, "start drift detection on "+st.StackName)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p := cli.NewProgress(stderr)
	for {
		out, err := st.CloudFormation.DescribeStackDriftDetectionStatus(ctx, &cloudformation.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: start.StackDriftDetectionId})
		if err != nil {
			return "", awsstage.Describe(err, "follow drift detection on "+st.StackName)
		}
		switch out.DetectionStatus {
		case cftypes.StackDriftDetectionStatusDetectionComplete:
			p.Done("drift detection on " + st.StackName + ": done")
			return out.StackDriftStatus, nil
		case cftypes.StackDriftDetectionStatusDetectionFailed:
			return "", fmt.Errorf("CloudFormation could not check every resource of %s: %s", st.StackName, aws.ToString(out.DetectionStatusReason))
		}
		p.Update("drift detection on " + st.StackName + ": " + string(out.DetectionStatus))
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("drift detection on %s not done after %v: %w", st.StackName, timeout, ctx.Err())
		case <-time.After(interval):
		}
	}
}

func drifted(ctx context.Context, st *awsstage.Stage, status cftypes.StackDriftStatus) (Report, error) {
	r := Report{Stack: st.StackName, Status: string(status), Drifted: []Resource{}}
	in := &cloudformation.DescribeStackResourceDriftsInput{StackName: aws.String(st.StackName),
		StackResourceDriftStatusFilters: []cftypes.StackResourceDriftStatus{cftypes.StackResourceDriftStatusModified, cftypes.StackResourceDriftStatusDeleted}}
	for p := cloudformation.NewDescribeStackResourceDriftsPaginator(st.CloudFormation, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r, awsstage.Describe(err, "read the drift of "+st.StackName)
		}
		for _, d := range page.StackResourceDrifts {
			res := Resource{LogicalID: aws.ToString(d.LogicalResourceId), PhysicalID: aws.ToString(d.PhysicalResourceId), Type: aws.ToString(d.ResourceType), Status: string(d.StackResourceDriftStatus)}
			for _, p := range d.PropertyDifferences {
				res.Differences = append(res.Differences, Difference{Path: aws.ToString(p.PropertyPath), Expected: aws.ToString(p.ExpectedValue), Actual: aws.ToString(p.ActualValue), Type: string(p.DifferenceType)})
			}
			r.Drifted = append(r.Drifted, res)
		}
	}
	return r, nil
}

func write(w io.Writer, r Report) error {
	if len(r.Drifted) == 0 {
		_, err := fmt.Fprintf(w, "%s: %s, no resource changed outside CloudFormation\n", r.Stack, r.Status)
		return err
	}
	rows := [][]string{}
	for _, d := range r.Drifted {
		if len(d.Differences) == 0 {
			rows = append(rows, []string{d.LogicalID, d.Type, d.Status, "-", "-", "-"})
		}
		for _, p := range d.Differences {
			rows = append(rows, []string{d.LogicalID, d.Type, d.Status, p.Path, p.Expected, p.Actual})
		}
	}
	return cli.Table(w, []string{"RESOURCE", "TYPE", "DRIFT", "PROPERTY", "EXPECTED", "ACTUAL"}, rows)
}
