package awstest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// foundationTemplate is the part of the foundation stack (infra/stage/foundation.go) keel
// reads: the vault bucket and the outputs naming it and the stage's prefix.
const foundationTemplate = `{
  "Resources": {"VaultBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "%[1]s-vaultbucket"}}},
  "Outputs": {
    "VaultBucket": {"Value": {"Ref": "VaultBucket"}},
    "VaultPrefix": {"Value": "keel/%[2]s/"}
  }
}`

// seedVault deploys the stage's foundation stack and publishes <prefix>latest.meta with
// PublishedGeneration, as vault push does (vsync-wire: {"gen", "prev_gen", "rotated_at"}).
func (s *Server) seedVault(t *testing.T, ctx context.Context, cfg aws.Config, stage string) {
	t.Helper()
	stack := "keel-" + stage + "-foundation"
	cfn := cloudformation.NewFromConfig(cfg)
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(fmt.Sprintf(foundationTemplate, stack, stage))}); err != nil {
		t.Fatalf("seed %s: create foundation stack: %v", stage, err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	meta := fmt.Sprintf(`{"gen": %d, "prev_gen": %d, "rotated_at": "2026-12-01T10:00:00Z"}`, PublishedGeneration, PublishedGeneration-1)
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(stack + "-vaultbucket"), Key: aws.String("keel/" + stage + "/latest.meta"), Body: strings.NewReader(meta)}); err != nil {
		t.Fatalf("seed %s: put latest.meta: %v", stage, err)
	}
}
