// Command preflight runs the checks that must pass before `cdk deploy` is called: `make deploy`
// runs it with the stage and stops, before any AWS call, on a blocking problem. Without a
// stage (`make synth`, `make test`) it only reports: every problem is printed as a warning.
//
// Exit status: 0 when nothing blocks (warnings are printed), 1 when the deploy is refused,
// 2 on a usage error.
package preflight

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
)

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("preflight", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stage := fs.String("stage", "", "the stage about to be deployed (dev, staging, prod); empty: only report")
	root := fs.String("root", ".", "the repository root")
	var sec stageSecrets
	sec.register(fs)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *stage != "" && !slices.Contains([]string{"dev", "staging", "prod"}, *stage) {
		fmt.Fprintf(stderr, "preflight: --stage %q is not a stage: use dev, staging or prod\n", *stage)
		return errUsage
	}
	t := target{root: *root, stage: *stage, secrets: sec}
	blocked := 0
	for _, c := range checks() {
		problems, err := c.run(ctx, t)
		if err != nil {
			fmt.Fprintf(stderr, "preflight: %s: %v\n", c.name, err)
			blocked++
			continue
		}
		for _, p := range problems {
			if p.skipped {
				fmt.Fprintf(stderr, "preflight: skipped: %s: %s\n", p.where, p.message)
				continue
			}
			if p.blocking && t.deploying() {
				fmt.Fprintf(stderr, "preflight: %s: %s\n", p.where, p.message)
				blocked++
			} else {
				fmt.Fprintf(stderr, "preflight: warning: %s: %s\n", p.where, p.message)
			}
		}
	}
	if blocked > 0 {
		fmt.Fprintf(stderr, "preflight: refusing to deploy %s: %d problem(s) above; nothing was deployed\n", t.stage, blocked)
		return fmt.Errorf("%d blocking problem(s)", blocked)
	}
	return nil
}

// target is what the checks look at: the repository, and the stage about to be deployed ("" when
// nothing is: synth and test only report).
type target struct {
	root, stage string
	secrets     stageSecrets
}

func (t target) deploying() bool { return t.stage != "" }

// production reports whether the stage serves users: staging and prod.
func (t target) production() bool { return t.stage == "staging" || t.stage == "prod" }

// problem is one thing a check found. A blocking problem stops the deploy; others are warnings.
// A skipped one says that a check did not run and why, so that silence always means checked.
type problem struct {
	where, message    string
	blocking, skipped bool
}

// check is one preflight check. run returns an error only when it could not check at all,
// which blocks the deploy too.
type check struct {
	name string
	run  func(ctx context.Context, t target) ([]problem, error)
}

// checks lists every check, in the order they report.
func checks() []check {
	return []check{
		{name: "pinned images", run: pinnedImages},
		{name: "secrets", run: secretsHoldValues},
	}
}
