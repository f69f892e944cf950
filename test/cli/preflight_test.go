package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/pin"
)

// TestDeployPreflight runs make deploy as a user would, offline: staging and prod refuse a
// tag-only image before anything talks to AWS, naming each line and the fix; dev goes on with
// the same lines as warnings (and stops at the missing credentials); pinned images pass all
// three. It runs in a copy of the repository whose Dockerfile is each variant.
func TestDeployPreflight(t *testing.T) {
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	committed, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	tagOnly := regexp.MustCompile(`@sha256:[0-9a-f]{64}`).ReplaceAll(committed, nil)
	pinned, _, err := pin.Rewrite(tagOnly, func(string) (string, error) { return "sha256:" + strings.Repeat("0", 64), nil })
	if err != nil {
		t.Fatal(err)
	}
	images, err := pin.Images(tagOnly)
	if err != nil || len(images) == 0 {
		t.Fatalf("images: %v %v", images, err)
	}
	noCredentials := "make deploy: no AWS credentials found"

	tagOnlyRepo := repoCopyWith(t, root, tagOnly)
	for _, stage := range []string{"staging", "prod"} {
		out, err := makeIn(t, tagOnlyRepo, "deploy", "STAGE="+stage)
		if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("make deploy STAGE=%s with tag-only images: %v, want a refusal:\n%s", stage, err, out)
		}
		for _, im := range images {
			if want := fmt.Sprintf("preflight: Dockerfile:%d: %s is a tag without a digest", im.Line, im); !strings.Contains(out, want) {
				t.Errorf("STAGE=%s: the refusal does not name line %d (%q):\n%s", stage, im.Line, want, out)
			}
		}
		if !strings.Contains(out, "run make pin-images") || !strings.Contains(out, "refusing to deploy "+stage) || strings.Contains(out, noCredentials) {
			t.Errorf("STAGE=%s: want the fix and the refusal before the credentials step:\n%s", stage, out)
		}
	}
	out, _ := makeIn(t, tagOnlyRepo, "deploy", "STAGE=dev")
	if strings.Count(out, "preflight: warning: Dockerfile:") != len(images) || !strings.Contains(out, noCredentials) || strings.Contains(out, "refusing") {
		t.Errorf("STAGE=dev with tag-only images: want %d warnings, then the credentials step:\n%s", len(images), out)
	}

	pinnedRepo := repoCopyWith(t, root, pinned)
	for _, stage := range []string{"dev", "staging", "prod"} {
		out, _ := makeIn(t, pinnedRepo, "deploy", "STAGE="+stage)
		// Without credentials the secrets check says it skipped; nothing else may be said.
		findings := strings.Count(out, "preflight:") - strings.Count(out, "preflight: skipped: secrets: not checked: no AWS credentials")
		if findings != 0 || !strings.Contains(out, "preflight: skipped: secrets") || !strings.Contains(out, noCredentials) {
			t.Errorf("STAGE=%s with pinned images: want no preflight finding but the skipped secrets check, then the credentials step:\n%s", stage, out)
		}
	}
}

// repoCopyWith is a directory that links to every entry of the repository except its
// Dockerfile (written from dt) and its build output.
func repoCopyWith(t *testing.T, root string, dt []byte) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "Dockerfile", "bin", "cdk.out":
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), dt, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func makeIn(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	return runIn(t, dir, offlineEnv(), "make", append([]string{"-s"}, args...)...)
}
