package dockerfile

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// GoBuild is the builder stage's `go build` RUN: run Script with Env and Args (plus the
// build's TARGETARCH and stamping values) in the stage's working directory, which the
// Dockerfile fills with app/.
type GoBuild struct {
	Script string
	// Env is the stage's ENV; Args its ARGs with their defaults ("" when none).
	Env, Args map[string]string
	// Output is the path after -o.
	Output       string
	MountTargets []string
	Line         int
}

// ExtractGoBuild returns the first stage's go build command.
func ExtractGoBuild(dt []byte) (GoBuild, error) {
	stages, _, err := parse(dt)
	if err != nil {
		return GoBuild{}, err
	}
	if len(stages) == 0 {
		return GoBuild{}, errors.New("no stages")
	}
	return goBuild(stages[0])
}

func goBuild(stage instructions.Stage) (GoBuild, error) {
	gb := GoBuild{Env: map[string]string{}, Args: map[string]string{}}
	for _, c := range stage.Commands {
		switch c := c.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				gb.Env[kv.Key] = kv.Value
			}
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				gb.Args[kv.Key] = ""
				if kv.Value != nil {
					gb.Args[kv.Key] = *kv.Value
				}
			}
		case *instructions.RunCommand:
			script := strings.Join(c.CmdLine, " ")
			if !strings.Contains(script, "go build") {
				continue
			}
			gb.Script, gb.Line = script, line(c.Location())
			// Mount flags are parsed when the command is expanded; no variable is expanded here.
			if err := c.Expand(func(word string) (string, error) { return word, nil }); err != nil {
				return GoBuild{}, err
			}
			for _, m := range instructions.GetMounts(c) {
				gb.MountTargets = append(gb.MountTargets, m.Target)
			}
			fields := strings.Fields(script)
			for i, f := range fields {
				if f == "-o" && i+1 < len(fields) {
					gb.Output = fields[i+1]
				}
			}
			if gb.Output == "" {
				return GoBuild{}, errors.New("the go build command has no -o output")
			}
			return gb, nil
		}
	}
	return GoBuild{}, errors.New("the builder stage has no RUN with go build")
}

func line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

// Run runs the build in appDir (what the Dockerfile copies into its WORKDIR) with the stage's
// ENV and ARG defaults plus vars (TARGETARCH, VERSION, ...), writing the binary to out.
func (gb GoBuild) Run(appDir, out string, vars map[string]string) error {
	cmd := exec.Command("sh", "-c", strings.ReplaceAll(gb.Script, gb.Output, out))
	cmd.Dir = appDir
	cmd.Env = os.Environ()
	for _, m := range []map[string]string{gb.Args, gb.Env, vars} {
		for k, v := range m {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(out), err, b)
	}
	return nil
}
