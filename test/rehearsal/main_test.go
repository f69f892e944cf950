// Package rehearsal tests the deployment rehearsal end to end: templates synthesized from the
// CDK app (with context overrides, as `cdk synth -c` passes them), the real server built
// twice with the Dockerfile's go build, the real vault on versitygw.
package rehearsal

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/stage"
	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/rehearsal"
)

// scratch holds this binary's templates and binaries; TestMain removes it.
var scratch = filepath.Join(os.TempDir(), fmt.Sprintf("keel-rehearsal-test-%d", os.Getpid()))

// TestMain re-executes the binary with CDK_VALIDATION=false (jsii reads the environment at
// package init; see test/infra), synthesizes the templates once, and builds the binaries.
func TestMain(m *testing.M) {
	testenv.WithoutTemplateValidation()
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		panic(err)
	}
	err := setup()
	jsii.Close()
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(scratch)
	os.Exit(code)
}

var (
	// templates by name: dev, prod, and dev-short-drain (a deregistration delay of 1 s).
	templates = map[string]string{}
	oldBin    string
	newBin    string
	// rehearseBin is the command `make rehearse` runs (keel rehearse).
	rehearseBin = filepath.Join(scratch, "keel")
)

// shortDrain is the deliberately wrong stage: dev with a deregistration delay shorter than
// the slow requests the correct dev survives.
var shortDrain = map[string]any{"keel:dev": map[string]any{"drain": map[string]any{"deregistrationDelaySeconds": 1}}}

func setup() error {
	root, err := testenv.FindRepoRoot()
	if err != nil {
		return err
	}
	if err := synth(root, nil, map[string]string{"dev": "dev", "prod": "prod"}); err != nil {
		return err
	}
	if err := synth(root, shortDrain, map[string]string{"dev": "dev-short-drain"}); err != nil {
		return err
	}
	if oldBin, err = rehearsal.BuildServer(root, scratch, "rehearsal-old"); err != nil {
		return err
	}
	if newBin, err = rehearsal.BuildServer(root, scratch, "rehearsal-new"); err != nil {
		return err
	}
	build := exec.Command("go", "build", "-o", rehearseBin, "./cmd/keel")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the rehearse command: %w\n%s", err, out)
	}
	return nil
}

// synth builds the app from cdk.json's context plus overrides and writes the service
// template of each stage in names to scratch under its name.
func synth(root string, overrides map[string]any, names map[string]string) error {
	context, err := testenv.ReadCDKContext(root)
	if err != nil {
		return err
	}
	maps.Copy(context, overrides)
	outdir, err := os.MkdirTemp(scratch, "cdk.out-")
	if err != nil {
		return err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &context})
	built, err := stage.Build(app, context, stage.Image{RepoRoot: root, BuildArgs: map[string]string{"VERSION": "test", "COMMIT": "test", "BUILD_DATE": "test"}})
	if err != nil {
		return err
	}
	for _, b := range built {
		name, ok := names[b.Settings.Name]
		if !ok {
			continue
		}
		b, err := json.Marshal(*assertions.Template_FromStack(b.Stack, nil).ToJSON())
		if err != nil {
			return err
		}
		path := filepath.Join(scratch, name+".template.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return err
		}
		templates[name] = path
	}
	return nil
}
