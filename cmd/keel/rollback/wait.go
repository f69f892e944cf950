package rollback

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/keelstack/keel/cmd/internal/awsstage"
	"github.com/keelstack/keel/cmd/internal/cli"
)

// wait follows the stopped deployment until ECS reports the rollback done and the service
// steady (its primary deployment COMPLETED with every desired task running), with a progress
// line on stderr.
func wait(ctx context.Context, st *awsstage.Stage, arn string, o options, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	p := cli.NewProgress(stderr)
	for {
		done, msg, err := check(ctx, st, arn)
		if err != nil {
			return err
		}
		if done {
			p.Done("rolled back: " + msg)
			fmt.Fprintf(stdout, "%s is steady on the previous revision\n", st.Name)
			return nil
		}
		p.Update("rolling back " + st.Name + ": " + msg)
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("the rollback is not done after %v (last: %s); keel status %s shows where it is", o.timeout, msg, st.Name)
			}
			return fmt.Errorf("interrupted while waiting (the rollback goes on in ECS; keel status %s follows it): %w", st.Name, ctx.Err())
		case <-time.After(o.interval):
		}
	}
}

// check reads the deployment and the service once.
func check(ctx context.Context, st *awsstage.Stage, arn string) (done bool, msg string, err error) {
	out, err := st.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return false, "", awsstage.Describe(err, "follow deployment "+shortID(arn))
	}
	if len(out.ServiceDeployments) == 0 {
		return false, "", fmt.Errorf("deployment %s is gone from ECS's records", shortID(arn))
	}
	d := out.ServiceDeployments[0]
	switch d.Status {
	case ecstypes.ServiceDeploymentStatusRollbackFailed:
		return false, "", fmt.Errorf("ECS could not roll back deployment %s: %s; keel status %s shows the tasks' stop reasons", shortID(arn), aws.ToString(d.StatusReason), st.Name)
	case ecstypes.ServiceDeploymentStatusRollbackSuccessful, ecstypes.ServiceDeploymentStatusStopped:
	default:
		return false, string(d.Status), nil
	}
	svc, err := st.Service(ctx)
	if err != nil {
		return false, "", err
	}
	msg = fmt.Sprintf("%s; %d of %d tasks running", d.Status, svc.RunningCount, svc.DesiredCount)
	steady := len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted && svc.RunningCount == svc.DesiredCount
	return steady, msg, nil
}
