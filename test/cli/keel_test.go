package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestMakeHelpOneScreen: make help names every documented target once, each in a group (none
// falls into "other"), in at most 45 lines of at most 100 columns.
func TestMakeHelpOneScreen(t *testing.T) {
	root := testenv.RepoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runIn(t, root, offlineEnv(), "make", "-s", "help")
	if err != nil {
		t.Fatalf("make help: %v\n%s", err, out)
	}
	for _, m := range regexp.MustCompile(`(?m)^([a-z-]+):.*## `).FindAllStringSubmatch(string(makefile), -1) {
		if n := strings.Count(out, "\n  "+m[1]+" "); n != 1 {
			t.Errorf("make help lists %s %d times, want once", m[1], n)
		}
	}
	if strings.Contains(out, "\nother:") {
		t.Errorf("make help has targets outside its groups (add them to scripts/make-help):\n%s", out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > 45 {
		t.Errorf("make help prints %d lines, want at most 45", len(lines))
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("make help line of %d columns, want at most 100: %q", n, l)
		}
	}
}

// TestMakeBuildsKeelOnce: bin/keel is a file target, so a second make keel does not run go
// build (make -q says it is up to date), and touching a Go source it is built from makes it
// stale again.
func TestMakeBuildsKeelOnce(t *testing.T) {
	root := testenv.RepoRoot(t)
	if out, err := runIn(t, root, offlineEnv(), "make", "-s", "keel"); err != nil {
		t.Fatalf("make keel: %v\n%s", err, out)
	}
	if out, err := runIn(t, root, offlineEnv(), "make", "-q", "bin/keel"); err != nil {
		t.Fatalf("bin/keel is stale right after make keel: %v\n%s", err, out)
	}
	src := filepath.Join(root, "cmd", "keel", "main.go")
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(src, later, later); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chtimes(src, info.ModTime(), info.ModTime()) })
	if out, err := runIn(t, root, offlineEnv(), "make", "-q", "bin/keel"); err == nil {
		t.Fatalf("make -q bin/keel says up to date after cmd/keel/main.go changed:\n%s", out)
	}
}
