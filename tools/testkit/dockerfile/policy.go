package dockerfile

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/keelstack/keel/tools/pin"
)

// Policy is this project's image policy.
type Policy struct {
	// GoVersion is app/go.mod's go directive (major.minor); the builder must match it.
	GoVersion string
}

const (
	runtimeBase = "gcr.io/distroless/static-debian12:nonroot"
	runtimeUser = "65532:65532"
)

// Check returns every way dt breaks the policy: every image written name:tag or
// name:tag@sha256:… (the tag-only form is a warning, see package pin), a Go builder matching
// go.mod that builds a static, trimmed binary for the target architecture from the build
// platform, and a final stage on distroless nonroot, running as 65532, with exec-form
// ENTRYPOINT and HEALTHCHECK and no RUN.
func (p Policy) Check(dt []byte) ([]Finding, error) {
	stages, metaArgs, err := parse(dt)
	if err != nil {
		return nil, err
	}
	if len(stages) < 2 {
		return []Finding{{Rule: "multi-stage", Message: "want a builder stage and a runtime stage"}}, nil
	}
	pins, err := pin.Check(dt)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, pp := range pins {
		out = append(out, Finding{Rule: "pinned-base", Line: pp.Image.Line, Message: pp.Message, Warning: pp.Warning})
	}
	add := func(rule string, line int, format string, a ...any) {
		out = append(out, Finding{Rule: rule, Line: line, Message: fmt.Sprintf(format, a...)})
	}
	build, final := stages[0], stages[len(stages)-1]
	out = append(out, p.checkBuilder(build, metaArgs, add)...)

	if base := (pin.Image{Ref: final.BaseName}).Tagged(); base != runtimeBase {
		add("runtime-base", line(final.Location), "final stage is FROM %s, want %s (optionally @sha256:…)", final.BaseName, runtimeBase)
	}
	var user, entrypoint, healthcheck bool
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.RunCommand:
			add("no-run-in-runtime", line(c.Location()), "the runtime stage runs nothing at build time (distroless has no shell)")
		case *instructions.UserCommand:
			user = c.User == runtimeUser
		case *instructions.EntrypointCommand:
			entrypoint = !c.PrependShell
		case *instructions.HealthCheckCommand:
			healthcheck = c.Health != nil && len(c.Health.Test) > 1 && c.Health.Test[0] == "CMD"
		}
	}
	if !user {
		add("nonroot-user", line(final.Location), "the runtime stage's last USER must be %s", runtimeUser)
	}
	if !entrypoint {
		add("exec-entrypoint", line(final.Location), "ENTRYPOINT must be in exec form: there is no shell")
	}
	if !healthcheck {
		add("exec-healthcheck", line(final.Location), `HEALTHCHECK must be CMD ["...", ...] (exec form): there is no shell`)
	}
	return out, nil
}

func (p Policy) checkBuilder(build instructions.Stage, metaArgs []instructions.ArgCommand, add func(string, int, string, ...any)) []Finding {
	if build.Platform != "$BUILDPLATFORM" {
		add("cross-compile", line(build.Location), "the builder must run FROM --platform=$BUILDPLATFORM and cross-compile for TARGETARCH")
	}
	if base := expandMetaArgs(build.BaseName, metaArgs); !p.goImage(base) {
		add("go-version", line(build.Location), "builder FROM %s, want golang:%s[-variant] as in app/go.mod's go directive", base, p.GoVersion)
	}
	gb, err := goBuild(build)
	if err != nil {
		add("go-build", line(build.Location), "%v", err)
		return nil
	}
	for _, want := range []string{"GOWORK=off", "CGO_ENABLED=0"} {
		k, v, _ := strings.Cut(want, "=")
		if gb.Env[k] != v {
			add("static-build", gb.Line, "the builder must set ENV %s", want)
		}
	}
	for _, flag := range []string{"-trimpath", "-s -w", "GOARCH=$TARGETARCH"} {
		if !strings.Contains(gb.Script, flag) {
			add("build-flags", gb.Line, "the go build command lacks %s", flag)
		}
	}
	if !slices.Contains(gb.MountTargets, "/go/pkg/mod") {
		add("module-cache", gb.Line, "mount a cache at /go/pkg/mod so module downloads survive rebuilds")
	}
	return nil
}

// goImage reports whether ref is the official Go image for p.GoVersion: golang:1.26,
// golang:1.26-bookworm or golang:1.26.8-bookworm for go 1.26, with or without a digest.
func (p Policy) goImage(ref string) bool {
	name, tag, _ := pin.Image{Ref: ref}.Split()
	if name != "golang" && name != "docker.io/library/golang" {
		return false
	}
	return tag == p.GoVersion || strings.HasPrefix(tag, p.GoVersion+"-") || strings.HasPrefix(tag, p.GoVersion+".")
}

// expandMetaArgs substitutes the global ARGs' defaults into a FROM reference, as BuildKit
// does when no --build-arg overrides them.
func expandMetaArgs(ref string, metaArgs []instructions.ArgCommand) string {
	values := map[string]string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				values[kv.Key] = *kv.Value
			}
		}
	}
	return os.Expand(ref, func(k string) string { return values[k] })
}
