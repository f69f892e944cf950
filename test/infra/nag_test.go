package infra

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/stage"
	"github.com/keelstack/keel/test/internal/testenv"
)

// TestNagAwsSolutions: every stage passes cdk-nag's AwsSolutions pack with no unsuppressed
// error or warning, and every suppression carries a reason.
func TestNagAwsSolutions(t *testing.T) {
	a := app(t)
	for name, b := range a.built {
		t.Run(name, func(t *testing.T) {
			pattern := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			stacks := []awscdk.Stack{b.Stack, b.GitHub, b.Bootstrap}
			if b.Foundation != nil {
				stacks = append(stacks, b.Foundation)
			}
			for _, stack := range stacks {
				annotations := assertions.Annotations_FromStack(stack)
				noFinding(t, func() { annotations.HasNoError(jsii.String("*"), pattern) })
				noFinding(t, func() { annotations.HasNoWarning(jsii.String("*"), pattern) })
			}
			resources := map[string]any{}
			maps.Copy(resources, a.templates[name]["Resources"].(map[string]any))
			maps.Copy(resources, a.github[name]["Resources"].(map[string]any))
			maps.Copy(resources, a.bootstrap[name]["Resources"].(map[string]any))
			if f, ok := a.foundation[name]; ok {
				maps.Copy(resources, f["Resources"].(map[string]any))
			}
			for id, r := range resources {
				for _, s := range anySlice(get(r, "Metadata", "cdk_nag", "rules_to_suppress")) {
					if reason, _ := get(s, "reason").(string); len(reason) < 40 {
						t.Errorf("%s: suppression %v has no real reason", id, get(s, "id"))
					}
				}
			}
		})
	}
}

// noFinding turns the assertion library's panic (which lists the findings) into a failure.
func noFinding(t *testing.T, check func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("cdk-nag: %v", r)
		}
	}()
	check()
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestNagNewWildcardAndOpenPort: the suppressions cover what their reasons name and no more: a
// new statement on Resource * in the execution role and port 22 open to the internet at the
// load balancer are cdk-nag findings.
func TestNagNewWildcardAndOpenPort(t *testing.T) {
	root, err := testenv.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	context, err := testenv.ReadCDKContext(root)
	if err != nil {
		t.Fatal(err)
	}
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &context})
	built, err := stage.Build(app, context, stage.Image{RepoRoot: root, BuildArgs: testBuildArgs})
	if err != nil {
		t.Fatal(err)
	}
	b := built[0]
	var role awsiam.IRole
	var group awsec2.ISecurityGroup
	for _, c := range *b.Stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch path := *c.Node().Path(); {
		case strings.HasSuffix(path, "/App/Task/ExecutionRole"):
			role = c.(awsiam.IRole)
		case strings.HasSuffix(path, "/Ingress/LoadBalancerSecurityGroup"):
			group = c.(awsec2.ISecurityGroup)
		}
	}
	if role == nil || group == nil {
		t.Fatalf("no execution role (%v) or load balancer security group (%v) in %s", role, group, *b.Stack.Node().Path())
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: jsii.Strings("*"),
	}))
	group.AddIngressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(22)), jsii.String("ssh"), nil)
	// cdk.json puts annotations in the validation report, so an error fails the synth.
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "ValidationFailed") {
				t.Errorf("synth with a new wildcard and an open port: %v, want it to fail validation", r)
			}
		}()
		app.Synth(nil)
	}()
	report, err := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AwsSolutions-IAM5[Resource::*]", "ExecutionRole/DefaultPolicy", "AwsSolutions-EC23", "LoadBalancerSecurityGroup"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the validation report lacks %q:\n%s", want, report)
		}
	}
}
