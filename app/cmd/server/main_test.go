package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func noEnv(string) (string, bool) { return "", false }

func TestRunSubcommands(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, noEnv, &out, &out); err != nil || !strings.HasPrefix(out.String(), "server dev commit") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	var u usageError
	for _, args := range [][]string{{"bogus"}, {"serve", "extra"}} {
		if err := run(context.Background(), args, noEnv, &out, &out); !errors.As(err, &u) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if err := run(context.Background(), []string{"serve"}, func(k string) (string, bool) { return "x", k == "PORT" }, &out, &out); !errors.As(err, &u) || !strings.Contains(out.String(), `PORT=\"x\"`) {
		t.Errorf("bad PORT: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"healthcheck"}, func(k string) (string, bool) { return "1", k == "PORT" }, &out, &out); err == nil {
		t.Error("healthcheck against a closed port succeeded")
	}
}
