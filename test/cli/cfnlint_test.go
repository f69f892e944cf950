package cli

import (
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestCfnLint runs cfn-lint over every template make synth writes, of every stage, each
// against its stack's region from the assembly manifest: no finding outside
// test/cfnlint/exceptions.yaml, and no stale exception there.
func TestCfnLint(t *testing.T) {
	testenv.CfnLint(t)
	dir, _ := assembly(t)
	testenv.LintAssemblies(t, true, dir)
}
