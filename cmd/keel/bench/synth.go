package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// synth measures synthesizing every stage through the pinned CLI and through the prebuilt app
// binary, with the built-in template validation on and off.
func (b *bench) synth() error {
	if out, err := exec.Command("go", "build", "-ldflags=-s -w", "-o", "bin/keel-cdk", "./infra/cmd/keel-cdk").CombinedOutput(); err != nil {
		return fmt.Errorf("build the app: %w\n%s", err, out)
	}
	cfg, err := os.ReadFile("cdk.json")
	if err != nil {
		return err
	}
	var cdkJSON struct {
		Context json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(cfg, &cdkJSON); err != nil {
		return err
	}
	for _, validation := range []string{"on", "off"} {
		env := []string{"CDK_VALIDATION=" + map[string]string{"on": "true", "off": "false"}[validation], "CDK_DISABLE_CLI_TELEMETRY=true", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20"}
		cli, cliRSS, err := b.repeat(func() (float64, float64, error) {
			return b.timed(".", env, "node_modules/.bin/cdk", "synth", "**", "--no-notices", "-q", "-o", b.outdir())
		})
		if err != nil {
			return err
		}
		bin, binRSS, err := b.repeat(func() (float64, float64, error) {
			return b.timed(".", append(env, "CDK_OUTDIR="+b.outdir(), "CDK_CONTEXT_JSON="+string(cdkJSON.Context)), "bin/keel-cdk")
		})
		if err != nil {
			return err
		}
		b.report.add(figure{Name: "synth, CLI, validation " + validation, Value: cli, Unit: "s", Note: fmt.Sprintf("peak RSS %.0f MiB", cliRSS)})
		f := figure{Name: "synth, app binary, validation " + validation, Value: bin, Unit: "s", Note: fmt.Sprintf("peak RSS %.0f MiB", binRSS)}
		if validation == "off" {
			f.Target, f.Met = target(bin, 2, true, "<= 2 s")
		}
		b.report.add(f)
	}
	return nil
}

// outdir is a fresh assembly directory; the last one is kept for the deploy floor and the
// dev rehearsal.
func (b *bench) outdir() string {
	dir, _ := os.MkdirTemp(b.work, "cdk.out-")
	b.lastAssembly = dir
	return dir
}

// infraTests measures a warm `go test` of the infra tests (one unmeasured run warms it).
func (b *bench) infraTests() error {
	args := []string{"test", "-count=1", "./test/infra"}
	if _, _, err := b.timed(".", nil, "go", args...); err != nil {
		return err
	}
	wall, _, err := b.repeat(func() (float64, float64, error) { return b.timed(".", nil, "go", args...) })
	if err != nil {
		return err
	}
	b.report.add(figure{Name: "go test ./test/infra, warm", Value: wall, Unit: "s", Note: "one synth of all stages plus a variant"})
	return nil
}
