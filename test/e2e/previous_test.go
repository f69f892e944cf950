package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// previousServer builds the server as it was before the newest migration was added (the
// version still serving while the new one rolls out), from the repository's history.
func previousServer(t *testing.T) (bin, commit, migration string) {
	t.Helper()
	root, err := testenv.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "app/internal/store/migrations/*.sql"))
	if err != nil || len(files) < 2 {
		t.Fatalf("migrations %v, %v: want at least two (the test needs a version before the newest)", files, err)
	}
	slices.Sort(files)
	migration, _ = filepath.Rel(root, files[len(files)-1])
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	added, err := git("log", "-1", "--format=%H", "--diff-filter=A", "--", migration)
	if err != nil || added == "" {
		history(t, fmt.Sprintf("no commit adds %s (uncommitted, or a shallow clone: fetch-depth 0)", migration))
	}
	if commit, err = git("rev-parse", "--verify", "--quiet", added+"^"); err != nil {
		history(t, "the commit before "+added[:12]+" is not in this clone (shallow: fetch-depth 0)")
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", `git archive --format=tar "$1" app | tar -x -C "$2"`, "sh", commit, src)
	archive.Dir = root
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v\n%s", commit, err, out)
	}
	bin = filepath.Join(t.TempDir(), "server-previous")
	build := exec.Command("go", "build", "-o", bin, "./cmd/server")
	build.Dir, build.Env = filepath.Join(src, "app"), append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the server at %s: %v\n%s", commit, err, out)
	}
	return bin, commit, migration
}

// history skips without the repository's history, and fails under CI=true.
func history(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip("skipped: " + why)
}

// TestPreviousVersionServesMigratedSchema: the new version migrates at boot while the previous
// one (built from the commit before the newest migration) keeps serving on the migrated schema,
// and a previous task booting then (a roll, a rollback) neither fails nor undoes the migration.
func TestPreviousVersionServesMigratedSchema(t *testing.T) {
	prevBin, commit, migration := previousServer(t)
	t.Logf("previous version: %.12s, before %s", commit, migration)
	_, url := notesDatabase(t)
	v := publishedVault(t, "app/")
	env := v.env("DATABASE_URL=" + url)

	old := startBin(t, prevBin, env)
	old.waitReady(t)
	if code, _, n := old.call(t, "POST", "/api/v1/notes", "application/json", `{"body":"from the previous version"}`); code != 201 {
		t.Fatalf("previous version, before the migration: %d %v", code, n)
	}

	cur := start(t, env)
	cur.waitReady(t)
	if line := cur.logLine(t, "database opened"); line["migrations_applied"] != 1.0 {
		t.Fatalf("the new version applied %v migrations, want the newest one", line["migrations_applied"])
	}
	code, _, titled := cur.call(t, "POST", "/api/v1/notes", "application/json", `{"title":"new","body":"from the new version"}`)
	if code != 201 {
		t.Fatalf("new version: %d %v", code, titled)
	}

	for name, p := range map[string]*proc{"running": old, "booted after the migration": startBin(t, prevBin, env)} {
		p.waitReady(t)
		if code, _, n := p.call(t, "POST", "/api/v1/notes", "application/json", `{"body":"old"}`); code != 201 {
			t.Fatalf("previous version (%s) create on the migrated schema: %d %v", name, code, n)
		}
		if code, _, n := p.call(t, "GET", fmt.Sprintf("/api/v1/notes/%.0f", titled["id"]), "", ""); code != 200 || n["body"] != "from the new version" {
			t.Fatalf("previous version (%s) reads the new version's note: %d %v", name, code, n)
		}
		if code, _, page := p.call(t, "GET", "/api/v1/notes?limit=100", "", ""); code != 200 || len(page["notes"].([]any)) < 3 {
			t.Fatalf("previous version (%s) list: %d %v", name, code, page)
		}
	}
	if code, _, n := cur.call(t, "GET", fmt.Sprintf("/api/v1/notes/%.0f", titled["id"]), "", ""); code != 200 || n["title"] != "new" {
		t.Fatalf("the new version after the old one booted again: %d %v (the migration must stay)", code, n)
	}
	for _, p := range []*proc{old, cur} {
		noDBSecret(t, p)
	}
}
