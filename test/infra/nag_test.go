package infra

import (
	"maps"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
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
