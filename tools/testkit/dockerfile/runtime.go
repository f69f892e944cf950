package dockerfile

import (
	"errors"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// Runtime is how the final stage runs its container.
type Runtime struct {
	Entrypoint, Cmd []string
	User            string
	// Healthcheck is the exec-form HEALTHCHECK command, without its "CMD" marker.
	Healthcheck []string
}

// Argv is the process the container starts: ENTRYPOINT followed by CMD.
func (r Runtime) Argv() []string { return append(append([]string{}, r.Entrypoint...), r.Cmd...) }

// ExtractRuntime reads the final stage's ENTRYPOINT, CMD, USER and HEALTHCHECK.
func ExtractRuntime(dt []byte) (Runtime, error) {
	stages, _, err := parse(dt)
	if err != nil {
		return Runtime{}, err
	}
	if len(stages) == 0 {
		return Runtime{}, errors.New("no stages")
	}
	var r Runtime
	for _, c := range stages[len(stages)-1].Commands {
		switch c := c.(type) {
		case *instructions.EntrypointCommand:
			r.Entrypoint = c.CmdLine
		case *instructions.CmdCommand:
			r.Cmd = c.CmdLine
		case *instructions.UserCommand:
			r.User = c.User
		case *instructions.HealthCheckCommand:
			if c.Health != nil && len(c.Health.Test) > 1 && c.Health.Test[0] == "CMD" {
				r.Healthcheck = c.Health.Test[1:]
			}
		}
	}
	if len(r.Argv()) == 0 || len(r.Healthcheck) == 0 {
		return Runtime{}, errors.New("the final stage needs an exec-form ENTRYPOINT and HEALTHCHECK")
	}
	return r, nil
}
