package infra

import (
	"maps"
	"path/filepath"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestCfnLintVariant runs cfn-lint over the staging variant's templates (imported VPC, HTTPS, Spot,
// blue/green with a test listener), which make synth does not build; test/cli's TestCfnLint
// covers the app as cdk.json builds it. The variant is synthesized with the CDKMetadata
// resource the CLI adds ("aws:cdk:version-reporting"): cfn-lint recognises a CDK template by
// it and judges some rules (hard-coded zones, W3010) accordingly.
func TestCfnLintVariant(t *testing.T) {
	testenv.CfnLint(t)
	overrides := map[string]any{"aws:cdk:version-reporting": true}
	maps.Copy(overrides, stagingVariant)
	a, err := synth(overrides)
	if err != nil {
		t.Fatal(err)
	}
	// The variant changes staging only; its nested assembly is what cdk synth writes for it.
	testenv.LintAssemblies(t, false, filepath.Join(a.outdir, "assembly-staging"))
}
