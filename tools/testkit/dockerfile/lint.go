// Package dockerfile checks the service's Dockerfile without a Docker daemon: BuildKit's own
// parser and lint rules (offline, base images answered by a stub), this project's image
// policy, and the extraction of the exact `go build` command the image runs, so that tests
// build the binary the way the image does.
package dockerfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Finding is one lint or policy result.
type Finding struct {
	Rule    string
	Message string
	Line    int
	// Warning marks a finding that is reported but does not fail the check where it is found
	// (a tag-only image: see package pin).
	Warning bool
}

func (f Finding) String() string {
	level := ""
	if f.Warning {
		level = "warning: "
	}
	return fmt.Sprintf("line %d: %s%s: %s", f.Line, level, f.Rule, f.Message)
}

// Lint runs BuildKit's lint rules over dt (as `docker build --check` does) and returns their
// warnings. A Dockerfile BuildKit cannot parse is an error.
func Lint(ctx context.Context, name string, dt []byte) ([]Finding, error) {
	sm := llb.NewSourceMap(nil, name, "Dockerfile", dt)
	sm.Definition = &llb.Definition{} // the linter indexes it; no build happens
	res, err := dockerfile2llb.DockerfileLint(ctx, dt, dockerfile2llb.ConvertOpt{
		SourceMap:      sm,
		MetaResolver:   stubResolver{},
		TargetPlatform: &ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH},
	})
	if err != nil {
		return nil, fmt.Errorf("lint %s: %w", name, err)
	}
	if res.Error != nil {
		return nil, fmt.Errorf("lint %s: %s", name, res.Error.Message)
	}
	var out []Finding
	for _, w := range res.Warnings {
		line := 0
		if len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, Finding{Rule: w.RuleName, Message: w.Detail, Line: line})
	}
	return out, nil
}

// stubResolver answers base-image lookups offline with an empty image of the requested
// platform: the lint rules need a config, not the image.
type stubResolver struct{}

func (stubResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	platform := ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		platform = *opt.ImageOpt.Platform
	}
	cfg, err := json.Marshal(ocispecs.Image{Platform: platform})
	return ref, digest.FromBytes(cfg), cfg, err
}

// parse returns the stages and the global ARGs.
func parse(dt []byte) ([]instructions.Stage, []instructions.ArgCommand, error) {
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, nil, err
	}
	return instructions.Parse(ast.AST, nil)
}
