package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestParseStage(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		stage string
		err   string
	}{
		{[]string{"dev"}, "dev", ""},
		{[]string{"dev", "--json"}, "dev", ""},
		{[]string{"--json", "prod"}, "prod", ""},
		{nil, "", "which stage? status STAGE, e.g. keel status dev"},
		{[]string{"dev", "prod"}, "", "unexpected arguments prod"},
		{[]string{"--nope"}, "", "flag provided but not defined"},
		{[]string{"-h"}, "", ""},
	} {
		fs := flag.NewFlagSet("status", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Bool("json", false, "")
		stage, err := Parse(fs, tt.args)
		switch {
		case tt.err == "" && (err != nil || stage != tt.stage):
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.args, stage, err, tt.stage)
		case tt.err != "" && (err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Parse(%q) error %v, want bad input saying %q", tt.args, err, tt.err)
		}
	}
}

func TestExitCode(t *testing.T) {
	for err, want := range map[error]int{
		nil:                                     0,
		errors.New("x"):                         1,
		Usage(errors.New("x")):                  2,
		fmt.Errorf("%w: role", ErrAccessDenied): 3,
		fmt.Errorf("%w: endpoint", ErrUnreachable): 4,
		Reported(ErrAccessDenied):                  3,
		fmt.Errorf("wrapped: %w", Usage(io.EOF)):   2,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}
