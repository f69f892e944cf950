package cli

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestEnvFilesIgnored: the env files make publish reads (secrets in plain text) can never be
// committed by accident; the samples can.
func TestEnvFilesIgnored(t *testing.T) {
	root := testenv.RepoRoot(t)
	ignored := func(path string) bool {
		cmd := exec.Command("git", "check-ignore", "-q", "--no-index", path)
		cmd.Dir = root
		err := cmd.Run()
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) && exit.ExitCode() == 1 {
			return false
		}
		if err != nil {
			t.Fatalf("git check-ignore %s: %v", path, err)
		}
		return true
	}
	for _, p := range []string{".env", ".env.dev", ".env.prod", ".env.staging.local", "app/.env.dev"} {
		if !ignored(p) {
			t.Errorf("%s is not git-ignored: an env file holds the vault's secrets", p)
		}
	}
	for _, p := range []string{".env.example", ".env.prod.example", "dev/sample.env"} {
		if ignored(p) {
			t.Errorf("%s is git-ignored: a sample must stay committable", p)
		}
	}
}
