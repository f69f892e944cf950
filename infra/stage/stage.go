// Package stage assembles the app: one awscdk.Stage per stage setting, each holding the
// service stack built from the constructs and checked by cdk-nag's AwsSolutions pack.
package stage

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/keelstack/keel/infra/settings"
)

// Image says how the container image is built: the repository root's Dockerfile as an asset.
type Image struct {
	// RepoRoot holds Dockerfile and .dockerignore (which keeps the context to app/).
	RepoRoot string
	// BuildArgs stamp the binary (VERSION, COMMIT, BUILD_DATE). They are part of the asset hash:
	// derive them from the app's sources, never from the clock.
	BuildArgs map[string]string
}

// Built is one stage as added to the app.
type Built struct {
	Settings settings.Stage
	Stage    awscdk.Stage
	Stack    awscdk.Stack
}

// Build validates every stage's settings from the app's context and adds the stages to app.
// Nothing is added when a setting is invalid.
func Build(app awscdk.App, context map[string]any, img Image) ([]Built, error) {
	stages, err := settings.FromContext(context)
	if err != nil {
		return nil, err
	}
	built := make([]Built, len(stages))
	for i, s := range stages {
		built[i] = New(app, s, img)
	}
	return built, nil
}

// New adds one stage, named after s, with its service stack.
func New(app awscdk.App, s settings.Stage, img Image) Built {
	st := awscdk.NewStage(app, jsii.String(s.Name), &awscdk.StageProps{
		Env: &awscdk.Environment{Account: jsii.String(s.Account), Region: jsii.String(s.Region)},
	})
	// The zones are a setting: answer the CDK's zone lookup from it, so that synth never
	// needs AWS credentials and a diff never depends on what a lookup returned that day.
	st.Node().SetContext(jsii.String(fmt.Sprintf("availability-zones:account=%s:region=%s", s.Account, s.Region)), s.AvailabilityZones)
	awscdk.Tags_Of(st).Add(jsii.String("keel:stage"), jsii.String(s.Name), nil)
	stack := newServiceStack(st, s, img)
	// Aspects do not cross stage boundaries: the checks are attached to each stage.
	awscdk.Aspects_Of(st).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return Built{Settings: s, Stage: st, Stack: stack}
}

// StackName is the CloudFormation stack name of a stage's service stack.
func StackName(stage string) string { return "keel-" + stage }
