package main

import (
	"fmt"
	"io"

	"github.com/keelstack/keel/cmd/internal/cli"
	"github.com/keelstack/keel/cmd/keel/bench"
	"github.com/keelstack/keel/cmd/keel/cost"
	"github.com/keelstack/keel/cmd/keel/dev"
	"github.com/keelstack/keel/cmd/keel/drift"
	"github.com/keelstack/keel/cmd/keel/logs"
	"github.com/keelstack/keel/cmd/keel/pinimages"
	"github.com/keelstack/keel/cmd/keel/preflight"
	"github.com/keelstack/keel/cmd/keel/rehearse"
	"github.com/keelstack/keel/cmd/keel/releases"
	"github.com/keelstack/keel/cmd/keel/review"
	"github.com/keelstack/keel/cmd/keel/rollback"
	"github.com/keelstack/keel/cmd/keel/smoke"
	"github.com/keelstack/keel/cmd/keel/status"
)

type command struct {
	name, args, summary string
	run                 cli.Func
}

type group struct {
	title    string
	commands []command
}

// groups is `keel help`, in the order a newcomer meets the commands.
func groups() []group {
	return []group{
		{"on this machine, offline", []command{
			{"dev", "", "run the service on a local S3 server with a sample vault; Ctrl-C stops it", dev.Run},
			{"rehearse", "STAGE", "rehearse STAGE's deployment locally from cdk.out, under load", rehearse.Run},
			{"cost", "[STAGE]", "monthly cost of every stage (or STAGE) from cdk.out", cost.Run},
			{"review", "", "the pull-request review of two synthesized assemblies", review.Run},
			{"preflight", "[STAGE]", "the checks make deploy runs before cdk deploy", preflight.Run},
			{"bench", "", "measure synth, tests, boot, load, sizes, the deploy floor", bench.Run},
		}},
		{"a deployed stage (AWS credentials)", []command{
			{"status", "STAGE", "stack, deployments, tasks, target health, alarms in ALARM", status.Run},
			{"logs", "STAGE", "the service's log lines (--follow, --level, --request-id, --filter)", logs.Run},
			{"releases", "STAGE", "the deployment history: when, version, strategy, outcome, duration", releases.Run},
			{"rollback", "STAGE", "stop the deployment in progress and return to the previous revision", rollback.Run},
			{"drift", "STAGE", "resources changed outside CloudFormation (exit 1 when any)", drift.Run},
			{"smoke", "", "wait until a stage's /healthz serves the deployed version", smoke.Run},
		}},
		{"upkeep", []command{
			{"pin-images", "", "pin the Dockerfile's images to their digests (needs the registries)", pinimages.Run},
		}},
	}
}

func lookup(name string) (command, bool) {
	for _, g := range groups() {
		for _, c := range g.commands {
			if c.name == name {
				return c, true
			}
		}
	}
	return command{}, false
}

func writeHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: keel COMMAND [STAGE] [flags]   (keel COMMAND -h for its flags; --json for scripts)")
	for _, g := range groups() {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, c := range g.commands {
			fmt.Fprintf(w, "  %-20s %s\n", c.name+" "+c.args, c.summary)
		}
	}
	fmt.Fprintf(w, "\n%s\n", cli.ExitSummary)
}
