// Package awsstage opens a deployed stage for the day-2 commands: the stage's region from its
// settings, one set of AWS clients, and the names its service stack (keel-STAGE) publishes as
// outputs.
package awsstage

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keelstack/keel/cmd/internal/cli"
	"github.com/keelstack/keel/infra/settings"
)

// Clients are the AWS APIs the day-2 commands call, all in the stage's region.
type Clients struct {
	CloudFormation *cloudformation.Client
	ECS            *ecs.Client
	Logs           *cloudwatchlogs.Client
	CloudWatch     *cloudwatch.Client
	ELB            *elb.Client
	S3             *s3.Client
}

// Stage is a deployed stage: its service stack and what the stack's outputs name.
type Stage struct {
	Name, Region, StackName string
	Settings                settings.Stage
	Stack                   cftypes.Stack
	Outputs                 map[string]string
	Clients
}

// Output names of the service stack (infra/stage/stack.go) the commands read.
const (
	OutputCluster       = "ClusterName"
	OutputService       = "ServiceName"
	OutputLogGroup      = "LogGroupName"
	OutputURL           = "Url"
	OutputProdRule      = "ProductionRuleArn"
	OutputDashboardName = "DashboardName"
	OutputDashboardURL  = "DashboardUrl"
)

// SettingsFlag is the day-2 commands' --cdk-json: where the stage settings are.
func SettingsFlag(fs *flag.FlagSet) *string {
	return fs.String("cdk-json", "cdk.json", "the stage settings (cdk.json) that give the stage's region")
}

// Settings reads a stage's settings as synth does (cdk.json's context over the Go defaults).
// An unknown stage is bad input that names the stages.
func Settings(cdkJSON, name string) (settings.Stage, error) {
	if !slices.Contains(settings.Names, name) {
		return settings.Stage{}, cli.Usage(fmt.Errorf("no stage %q: the stages are %s", name, strings.Join(settings.Names, ", ")))
	}
	b, err := os.ReadFile(cdkJSON)
	if err != nil {
		return settings.Stage{}, cli.Usage(fmt.Errorf("%v: run keel from the repository root", err))
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return settings.Stage{}, cli.Usage(fmt.Errorf("%s: %v", cdkJSON, err))
	}
	stages, err := settings.FromContext(cfg.Context)
	if err != nil {
		return settings.Stage{}, cli.Usage(fmt.Errorf("invalid stage settings in %s: %w", cdkJSON, err))
	}
	i := slices.IndexFunc(stages, func(s settings.Stage) bool { return s.Name == name })
	return stages[i], nil
}

// Open reads the stage's settings from cdk.json, connects to its region with the standard
// credential chain and reads its service stack. A stage that was never deployed, missing
// credentials, a refusal and throttling each come back as one line with their class.
func Open(ctx context.Context, cdkJSON, name string) (*Stage, error) {
	s, err := Settings(cdkJSON, name)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(s.Region))
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("AWS configuration: %w", err))
	}
	st := &Stage{Name: name, Region: s.Region, StackName: "keel-" + name, Settings: s, Clients: NewClients(cfg)}
	out, err := st.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(st.StackName)})
	if err != nil {
		if Code(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") {
			return nil, fmt.Errorf("%w: stage %s was never deployed: no stack %s in %s (make deploy STAGE=%s deploys it)", ErrNotDeployed, name, st.StackName, st.Region, name)
		}
		return nil, Describe(err, "read stack "+st.StackName)
	}
	if len(out.Stacks) == 0 {
		return nil, fmt.Errorf("%w: stage %s was never deployed: no stack %s in %s (make deploy STAGE=%s deploys it)", ErrNotDeployed, name, st.StackName, st.Region, name)
	}
	st.Stack = out.Stacks[0]
	st.Outputs = map[string]string{}
	for _, o := range st.Stack.Outputs {
		st.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return st, nil
}

// ErrNotDeployed is a stage without its service stack.
var ErrNotDeployed = errors.New("not deployed")

// NewClients makes every client from one configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		CloudFormation: cloudformation.NewFromConfig(cfg),
		ECS:            ecs.NewFromConfig(cfg),
		Logs:           cloudwatchlogs.NewFromConfig(cfg),
		CloudWatch:     cloudwatch.NewFromConfig(cfg),
		ELB:            elb.NewFromConfig(cfg),
		// An endpoint of one's own (AWS_ENDPOINT_URL: a local S3 server) serves buckets by path.
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }),
	}
}

// Output returns a stack output the command cannot do without, or says which stack lacks it.
func (s *Stage) Output(key string) (string, error) {
	if v := s.Outputs[key]; v != "" {
		return v, nil
	}
	return "", fmt.Errorf("stack %s has no output %s: it predates this keel; deploy the stage again (make deploy STAGE=%s)", s.StackName, key, s.Name)
}
