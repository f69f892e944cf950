package preflight

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// TestMain lets a test run the command as a process (PREFLIGHT_MAIN=1), to see its exit status.
func TestMain(m *testing.M) {
	if os.Getenv("PREFLIGHT_MAIN") == "1" {
		os.Exit(cli.Run(context.Background(), "preflight", Run, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
)

const tagOnly = `# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
RUN go build -o /out/server ./cmd/server
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
`

var pinned = strings.NewReplacer(
	"dockerfile:1", "dockerfile:1@"+digestA,
	"1.26-bookworm", "1.26-bookworm@"+digestB,
	":nonroot", ":nonroot@"+digestA,
).Replace(tagOnly)

func repoWith(t *testing.T, dockerfile string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// preflight runs the command as make deploy does and returns its exit status and stderr.
func preflight(t *testing.T, root string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--root", root}, args...)...)
	cmd.Env = append(os.Environ(), "PREFLIGHT_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// TestTagOnlyImages: staging and prod refuse a tag-only image, naming each line and the fix;
// dev and the report-only mode (synth, test) pass with the same lines as warnings.
func TestTagOnlyImages(t *testing.T) {
	root := repoWith(t, tagOnly)
	for _, stage := range []string{"staging", "prod"} {
		code, out := preflight(t, root, "--stage", stage)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (refused):\n%s", stage, code, out)
		}
		for _, want := range []string{
			"preflight: Dockerfile:1: # syntax=docker/dockerfile:1 is a tag without a digest",
			"preflight: Dockerfile:2: FROM golang:1.26-bookworm is a tag without a digest",
			"preflight: Dockerfile:4: FROM gcr.io/distroless/static-debian12:nonroot is a tag without a digest",
			"run make pin-images", "(" + stage + " deploys only images pinned by digest)",
			"refusing to deploy " + stage + ": 3 problem(s) above; nothing was deployed",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the refusal does not say %q:\n%s", stage, want, out)
			}
		}
	}
	for _, args := range [][]string{{"--stage", "dev"}, nil} {
		code, out := preflight(t, root, args...)
		if code != 0 || strings.Count(out, "preflight: warning: Dockerfile:") != 3 || !strings.Contains(out, "run make pin-images") || strings.Contains(out, "refusing") {
			t.Errorf("%v: exit %d, want 0 with three warnings naming make pin-images:\n%s", args, code, out)
		}
	}
}

func TestPinnedImages(t *testing.T) {
	root := repoWith(t, pinned)
	for _, stage := range []string{"dev", "staging", "prod", ""} {
		if code, out := preflight(t, root, "--stage", stage); code != 0 || out != "" {
			t.Errorf("%q: exit %d, want 0 and silence:\n%s", stage, code, out)
		}
	}
}

// TestMalformedDigest: a reference that cannot build blocks every stage's deploy.
func TestMalformedDigest(t *testing.T) {
	root := repoWith(t, strings.Replace(pinned, "@"+digestB, "@sha256:123", 1))
	code, out := preflight(t, root, "--stage", "dev")
	if code != 1 || !strings.Contains(out, `Dockerfile:2: FROM golang:1.26-bookworm@sha256:123: "sha256:123" is not a sha256 digest`) {
		t.Errorf("exit %d, want 1 naming line 2:\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	if code, out := preflight(t, repoWith(t, pinned), "--stage", "qa"); code != 2 || !strings.Contains(out, `"qa" is not a stage`) {
		t.Errorf("unknown stage: exit %d\n%s", code, out)
	}
	// A check that cannot run blocks the deploy.
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--root", t.TempDir(), "--stage", "dev"}, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "preflight: pinned images: open") {
		t.Errorf("no Dockerfile: %v\n%s", err, stderr.String())
	}
}
