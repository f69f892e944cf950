package awsstage

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Service describes the stage's ECS service (outputs ClusterName, ServiceName).
func (s *Stage) Service(ctx context.Context) (ecstypes.Service, error) {
	cluster, err := s.Output(OutputCluster)
	if err != nil {
		return ecstypes.Service{}, err
	}
	name, err := s.Output(OutputService)
	if err != nil {
		return ecstypes.Service{}, err
	}
	out, err := s.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil {
		return ecstypes.Service{}, Describe(err, "describe service "+name)
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) == "INACTIVE" {
		return ecstypes.Service{}, fmt.Errorf("%w: stack %s names service %s in cluster %s, which does not exist (deleted outside CloudFormation? keel drift %s)", ErrNotDeployed, s.StackName, name, cluster, s.Name)
	}
	return out.Services[0], nil
}

// Deployments returns the service's deployments, newest first, at most max (0: all), with the
// given statuses (none: any). ListServiceDeployments gives the ARNs,
// DescribeServiceDeployments (at most 20 per call) the details.
func (s *Stage) Deployments(ctx context.Context, max int, statuses ...ecstypes.ServiceDeploymentStatus) ([]ecstypes.ServiceDeployment, error) {
	cluster, service := s.Outputs[OutputCluster], s.Outputs[OutputService]
	var arns []string
	in := &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service), Status: statuses}
	for {
		page, err := s.ECS.ListServiceDeployments(ctx, in)
		if err != nil {
			return nil, Describe(err, "list the deployments of "+service)
		}
		for _, b := range page.ServiceDeployments {
			arns = append(arns, aws.ToString(b.ServiceDeploymentArn))
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	var all []ecstypes.ServiceDeployment
	for chunk := range slices.Chunk(arns, 20) {
		out, err := s.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: chunk})
		if err != nil {
			return nil, Describe(err, "describe the deployments of "+service)
		}
		all = append(all, out.ServiceDeployments...)
	}
	slices.SortStableFunc(all, func(a, b ecstypes.ServiceDeployment) int {
		return aws.ToTime(b.CreatedAt).Compare(aws.ToTime(a.CreatedAt))
	})
	if max > 0 && len(all) > max {
		all = all[:max]
	}
	return all, nil
}

// Revisions describes service revisions by ARN (at most 20 per call).
func (s *Stage) Revisions(ctx context.Context, arns []string) (map[string]ecstypes.ServiceRevision, error) {
	out := map[string]ecstypes.ServiceRevision{}
	arns = slices.Compact(slices.Sorted(slices.Values(slices.DeleteFunc(slices.Clone(arns), func(a string) bool { return a == "" }))))
	for chunk := range slices.Chunk(arns, 20) {
		res, err := s.ECS.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: chunk})
		if err != nil {
			return nil, Describe(err, "describe service revisions")
		}
		for _, r := range res.ServiceRevisions {
			out[aws.ToString(r.ServiceRevisionArn)] = r
		}
	}
	return out, nil
}

// Image is a revision's first container image, by digest where ECS recorded one.
func Image(r ecstypes.ServiceRevision) string {
	if len(r.ContainerImages) == 0 {
		return ""
	}
	img := r.ContainerImages[0]
	if d := aws.ToString(img.ImageDigest); d != "" {
		return aws.ToString(img.Image) + "@" + d
	}
	return aws.ToString(img.Image)
}
