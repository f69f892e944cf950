// Package infra tests the synthesized CloudFormation of every stage: golden files, one
// assertion group per construct concern, cdk-nag, the image asset, and settings validation.
// The app is synthesized once per test binary.
package infra

import (
	"os"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestMain runs the tests without the built-in template validation (testenv), which the CLI
// test and `make synth` run instead.
func TestMain(m *testing.M) {
	testenv.WithoutTemplateValidation()
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		panic(err)
	}
	code := m.Run()
	jsii.Close()
	os.RemoveAll(scratch)
	os.Exit(code)
}
