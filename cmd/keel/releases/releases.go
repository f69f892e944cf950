// Package releases is `keel releases STAGE`: the service's deployment history from ECS's
// service deployments (ListServiceDeployments, DescribeServiceDeployments) and the revisions
// they deployed (DescribeServiceRevisions): when, what, how, with what outcome and how long.
package releases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/keelstack/keel/cmd/internal/awsstage"
	"github.com/keelstack/keel/cmd/internal/cli"
)

// Release is one service deployment.
type Release struct {
	ARN            string        `json:"arn"`
	Created        time.Time     `json:"created"`
	Started        time.Time     `json:"started,omitempty"`
	Finished       time.Time     `json:"finished,omitempty"`
	Duration       time.Duration `json:"duration_ns,omitempty"`
	Status         string        `json:"status"`
	StatusReason   string        `json:"status_reason,omitempty"`
	Strategy       string        `json:"strategy,omitempty"`
	RollbackReason string        `json:"rollback_reason,omitempty"`
	TaskDefinition string        `json:"task_definition,omitempty"`
	Image          string        `json:"image,omitempty"`
	// Version and Commit are the task definition's OCI labels org.opencontainers.image.version
	// and .revision, where the container carries them.
	Version string `json:"version,omitempty"`
	Commit  string `json:"commit,omitempty"`
	// Revision is the service revision deployed (what keel rollback returns to).
	Revision string `json:"revision"`
}

// Run is `keel releases STAGE [--limit 20] [--json]`.
func Run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("releases", "keel releases STAGE [--limit N] [--json]", "The service's deployments, newest first (read-only).", stderr)
	limit := fs.Int("limit", 20, "show the newest this many deployments")
	asJSON := fs.Bool("json", false, "print the releases as JSON (for scripts) instead of a table")
	cdkJSON := awsstage.SettingsFlag(fs)
	stage, err := cli.Parse(fs, args)
	if stage == "" || err != nil {
		return err
	}
	if *limit < 1 {
		return cli.Usage(errors.New("--limit must be at least 1"))
	}
	st, err := awsstage.Open(ctx, *cdkJSON, stage)
	if err != nil {
		return err
	}
	rs, err := List(ctx, st, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.JSON(stdout, rs)
	}
	return write(stdout, st, rs)
}

// List returns the stage's newest limit releases.
func List(ctx context.Context, st *awsstage.Stage, limit int) ([]Release, error) {
	ds, err := st.Deployments(ctx, limit)
	if err != nil {
		return nil, err
	}
	var targets []string
	for _, d := range ds {
		if d.TargetServiceRevision != nil {
			targets = append(targets, aws.ToString(d.TargetServiceRevision.Arn))
		}
	}
	revs, err := st.Revisions(ctx, targets)
	if err != nil {
		return nil, err
	}
	labels := map[string]map[string]string{}
	rs := make([]Release, 0, len(ds))
	for _, d := range ds {
		r := release(d)
		if rev, ok := revs[r.Revision]; ok {
			r.TaskDefinition, r.Image = aws.ToString(rev.TaskDefinition), awsstage.Image(rev)
			if _, ok := labels[r.TaskDefinition]; !ok {
				labels[r.TaskDefinition] = dockerLabels(ctx, st, r.TaskDefinition)
			}
			r.Version, r.Commit = labels[r.TaskDefinition]["org.opencontainers.image.version"], labels[r.TaskDefinition]["org.opencontainers.image.revision"]
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func release(d ecstypes.ServiceDeployment) Release {
	r := Release{ARN: aws.ToString(d.ServiceDeploymentArn), Created: aws.ToTime(d.CreatedAt), Started: aws.ToTime(d.StartedAt),
		Finished: aws.ToTime(d.FinishedAt), Status: string(d.Status), StatusReason: aws.ToString(d.StatusReason)}
	if r.Finished.IsZero() {
		r.Finished = aws.ToTime(d.StoppedAt)
	}
	if !r.Started.IsZero() && !r.Finished.IsZero() {
		r.Duration = r.Finished.Sub(r.Started)
	}
	if d.DeploymentConfiguration != nil {
		r.Strategy = string(d.DeploymentConfiguration.Strategy)
	}
	if d.Rollback != nil {
		r.RollbackReason = aws.ToString(d.Rollback.Reason)
	}
	if d.TargetServiceRevision != nil {
		r.Revision = aws.ToString(d.TargetServiceRevision.Arn)
	}
	return r
}

// dockerLabels are the first container's labels (none when the task definition cannot be read:
// the history is still worth printing).
func dockerLabels(ctx context.Context, st *awsstage.Stage, taskDef string) map[string]string {
	out, err := st.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDef)})
	if err != nil || out.TaskDefinition == nil || len(out.TaskDefinition.ContainerDefinitions) == 0 {
		return nil
	}
	return out.TaskDefinition.ContainerDefinitions[0].DockerLabels
}

func write(w io.Writer, st *awsstage.Stage, rs []Release) error {
	if len(rs) == 0 {
		_, err := fmt.Fprintf(w, "no service deployments recorded for %s (ECS records those since 2024-11)\n", st.Outputs[awsstage.OutputService])
		return err
	}
	rows := make([][]string, 0, len(rs))
	for _, r := range rs {
		what := r.Version
		if what == "" {
			what = shortTaskDef(r.TaskDefinition)
		}
		if r.Commit != "" {
			what += " (" + r.Commit + ")"
		}
		rows = append(rows, []string{r.Created.UTC().Format("2006-01-02 15:04Z"), r.Status, dash(r.Strategy), what, duration(r.Duration), dash(firstOf(r.RollbackReason, r.StatusReason))})
	}
	return cli.Table(w, []string{"CREATED", "OUTCOME", "STRATEGY", "VERSION", "DURATION", "REASON"}, rows)
}

func shortTaskDef(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return dash(arn)
}

func duration(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(time.Second).String()
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
