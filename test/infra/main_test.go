// Package infra tests the synthesized CloudFormation of every stage: golden files, one
// assertion group per construct concern, cdk-nag, the image asset, and settings validation.
// The app is synthesized once per test binary.
package infra

import (
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestMain re-executes the binary with CDK_VALIDATION=false: jsii reads the environment when
// the package initialises, and the built-in template validation (5 s and 400 MB per synth
// here) runs instead in the CLI test and in `make synth`.
func TestMain(m *testing.M) {
	if os.Getenv("CDK_VALIDATION") == "" {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "CDK_VALIDATION=false", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
				os.Exit(exit.ExitCode())
			}
			panic(err)
		}
		os.Exit(0)
	}
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		panic(err)
	}
	code := m.Run()
	jsii.Close()
	os.RemoveAll(scratch)
	os.Exit(code)
}
