package awstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// History seeds three releases of a seeded stage: v1 (succeeded two days ago), v2 (rolled
// back by the circuit breaker yesterday) and v3 (succeeded an hour ago, or still in progress
// when inProgress is set). Each version has its own task definition revision carrying the OCI
// version and revision labels. It returns the deployments, oldest first.
func (s *Server) History(t *testing.T, sd Seeded, inProgress bool) []Deployment {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(Region))
	if err != nil {
		t.Fatal(err)
	}
	e := ecs.NewFromConfig(cfg)
	now := time.Now().UTC()
	var out []Deployment
	for i, v := range []struct {
		version, status, reason, rollback string
		ago                               time.Duration
	}{
		{"v1", "SUCCESSFUL", "", "", 48 * time.Hour},
		{"v2", "ROLLBACK_SUCCESSFUL", "ECS deployment circuit breaker: tasks failed to start.", "Service deployment rolled back because the circuit breaker threshold was exceeded.", 24 * time.Hour},
		{"v3", "SUCCESSFUL", "", "", time.Hour},
	} {
		td, err := e.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(sd.Stack + "-app"), RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
			NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-assets:" + v.version),
				DockerLabels: map[string]string{"org.opencontainers.image.version": v.version, "org.opencontainers.image.revision": fmt.Sprintf("c0ffee%d", i+1)}}},
		})
		if err != nil {
			t.Fatalf("register task definition %s: %v", v.version, err)
		}
		rev := Revision{ARN: fmt.Sprintf("arn:aws:ecs:%s:123456789012:service-revision/%s/%s/%d", Region, sd.Cluster, sd.Service, 100+i),
			ServiceARN: sd.ServiceARN, ClusterARN: sd.ClusterARN, TaskDefinition: aws.ToString(td.TaskDefinition.TaskDefinitionArn),
			Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-assets:" + v.version, Digest: fmt.Sprintf("sha256:%064d", i+1), Created: now.Add(-v.ago)}
		d := Deployment{ARN: fmt.Sprintf("arn:aws:ecs:%s:123456789012:service-deployment/%s/%s/d%d", Region, sd.Cluster, sd.Service, i+1),
			ServiceARN: sd.ServiceARN, ClusterARN: sd.ClusterARN, Status: v.status, StatusReason: v.reason, RollbackReason: v.rollback,
			Strategy: "ROLLING", Created: now.Add(-v.ago), Started: now.Add(-v.ago + 5*time.Second), Finished: now.Add(-v.ago + 4*time.Minute), Target: rev.ARN}
		if i == 2 && inProgress {
			d.Status, d.Finished, d.LifecycleStage = "IN_PROGRESS", time.Time{}, "BAKE_TIME"
		}
		if len(out) > 0 {
			d.Source = out[len(out)-1].Target
		}
		s.AddDeployment(d, rev)
		out = append(out, d)
	}
	return out
}
