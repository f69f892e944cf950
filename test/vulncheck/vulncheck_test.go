// Package vulncheck tests the offline vulnerability check (tools/vulncheck) on throwaway
// modules pinned to a vulnerable golang.org/x/text, against the same database make test
// uses (scripts/install-tools vuln): a called vulnerability fails the check, an imported one
// is listed and passes.
package vulncheck

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/vulncheck"
)

// scan runs govulncheck over the throwaway module in testdata/dir (source mode; binary mode
// over its build with binary) and writes the report.
func scan(t *testing.T, dir string, binary bool) (string, error) {
	t.Helper()
	bin := testenv.Tool(t, ".tools/bin/govulncheck", "scripts/install-tools vuln")
	db := testenv.Tool(t, ".tools/vulndb/index/db.json", "scripts/install-tools vuln")
	db = filepath.Dir(filepath.Dir(db))
	// The module's dependency comes through the module proxy, like testenv.GoModuleDir's.
	env := []string{"GOWORK=off", "GOFLAGS=-mod=mod"}
	if out, err := exec.Command("go", "mod", "download", "-json", "golang.org/x/text@v0.3.6").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go mod download golang.org/x/text@v0.3.6: %v %s (CI needs the Go module proxy)", err, out)
		}
		t.Skipf("go mod download golang.org/x/text@v0.3.6: %v %s", err, out)
	}
	abs, _ := filepath.Abs(filepath.Join("testdata", dir))
	target := vulncheck.Target{Dir: abs, Patterns: []string{"./..."}}
	if binary {
		target.Binary = filepath.Join(t.TempDir(), dir)
		build := exec.Command("go", "build", "-o", target.Binary, ".")
		build.Dir, build.Env = abs, append(os.Environ(), env...)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", dir, err, out)
		}
	}
	res, err := vulncheck.Scan(context.Background(), bin, db, target, env)
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	err = vulncheck.WriteReport(&report, vulncheck.Snapshot{Version: "test", Date: "test"}, []vulncheck.Result{res})
	return report.String(), err
}

func TestCalledVulnerabilityFails(t *testing.T) {
	t.Parallel() // no jsii here: separate processes only
	for _, binary := range []bool{false, true} {
		report, err := scan(t, "called", binary)
		if err == nil || !strings.Contains(err.Error(), "GO-2021-0113") {
			t.Fatalf("binary mode %v: a call to language.Parse of golang.org/x/text v0.3.6 passed the check (err %v):\n%s", binary, err, report)
		}
		for _, want := range []string{"CALLED GO-2021-0113 golang.org/x/text@v0.3.6", "golang.org/x/text/language.Parse", "fixed in v0.3.7", "go get golang.org/x/text@v0.3.7"} {
			if !strings.Contains(report, want) {
				t.Errorf("binary mode %v: report lacks %q:\n%s", binary, want, report)
			}
		}
		if !binary && !strings.Contains(report, "example.com/vulnerable.main -> golang.org/x/text/language.Parse\n    at main.go:10") {
			t.Errorf("source mode: report lacks the call path and its position:\n%s", report)
		}
	}
}

func TestImportedVulnerabilityIsListed(t *testing.T) {
	t.Parallel() // no jsii here: separate processes only
	report, err := scan(t, "imported", false)
	if strings.Contains(report, "CALLED GO-2021-0113") || (err != nil && strings.Contains(err.Error(), "GO-2021-0113")) {
		t.Fatalf("an import without a call to the vulnerable symbols counts as called (err %v):\n%s", err, report)
	}
	if !strings.Contains(report, "not called: GO-2021-0113 golang.org/x/text@v0.3.6 (imported golang.org/x/text/language)") {
		t.Errorf("report does not list the imported vulnerability:\n%s", report)
	}
}
