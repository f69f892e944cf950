package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func keel(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestHelpListsEveryCommand: keel help names each command once, with the exit-code scheme.
func TestHelpListsEveryCommand(t *testing.T) {
	code, out, _ := keel(t, "help")
	if code != 0 {
		t.Fatalf("keel help exited %d", code)
	}
	for _, g := range groups() {
		for _, c := range g.commands {
			if strings.Count(out, "\n  "+c.name+" ") != 1 {
				t.Errorf("keel help lists %q %d times, want once:\n%s", c.name, strings.Count(out, "\n  "+c.name+" "), out)
			}
		}
	}
	if !strings.Contains(out, "2 bad input, 3 access denied") {
		t.Errorf("keel help does not state the exit codes:\n%s", out)
	}
}

// TestExitCodes: no command and an unknown one are bad input (2); -h is success and prints
// the command's flags; an unknown flag is bad input.
func TestExitCodes(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{nil, 2, "usage: keel COMMAND"},
		{[]string{"nosuch"}, 2, `keel: unknown command "nosuch": keel help lists the commands`},
		{[]string{"cost", "-h"}, 0, "-assembly"},
		{[]string{"help", "rehearse"}, 0, "-scenario"},
		{[]string{"cost", "--no-such-flag"}, 2, "keel cost: bad input"},
		{[]string{"rehearse"}, 2, "--stage is required"},
		{[]string{"preflight", "nosuch"}, 2, `--stage "nosuch" is not a stage`},
	} {
		code, _, stderr := keel(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("keel %q: exit %d, stderr:\n%s\nwant exit %d and %q", tt.args, code, stderr, tt.code, tt.inStderr)
		}
	}
}
