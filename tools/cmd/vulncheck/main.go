// Command vulncheck runs govulncheck offline over every module of the workspace (source mode)
// and over the server binary built the way the Dockerfile builds it (binary mode), against the
// database built from the pinned golang.org/x/vulndb snapshot (scripts/install-tools vuln). A
// vulnerability the code calls fails the run; one it only imports or requires is listed. A
// passing result is kept under .tools/vulncheck-cache, keyed by the sources, the toolchain and
// the snapshot, and reprinted while none of them changes.
//
//	vulncheck [--modules app,cmd,infra,test,tools] [--db .tools/vulndb] [--govulncheck .tools/bin/govulncheck]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/keelstack/keel/tools/testkit/dockerfile"
	"github.com/keelstack/keel/tools/vulncheck"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vulncheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modules := fs.String("modules", "app,cmd,infra,test,tools", "the workspace's modules, comma-separated; the first holds the server")
	db := fs.String("db", ".tools/vulndb", "the vulnerability database (scripts/install-tools vuln)")
	bin := fs.String("govulncheck", ".tools/bin/govulncheck", "govulncheck (scripts/install-tools vuln)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	govulncheck, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	// .tools/bin/govulncheck links to .tools/govulncheck-<version>/: the version keys the cache.
	if govulncheck, err = filepath.EvalSymlinks(govulncheck); err != nil {
		return fmt.Errorf("no govulncheck at %s: run scripts/install-tools vuln", *bin)
	}
	snap, dbDir, err := snapshot(*db)
	if err != nil {
		return err
	}
	mods := strings.Split(*modules, ",")
	toolchain, err := declaredToolchain(filepath.Join(root, mods[0], "go.mod"))
	if err != nil {
		return err
	}
	key, err := vulncheck.SourceKey(root, mods, []string{"Dockerfile", "go.work"}, []string{govulncheck, snap.Version, toolchain})
	if err != nil {
		return err
	}
	cached := filepath.Join(root, ".tools", "vulncheck-cache", key)
	if b, err := os.ReadFile(cached); err == nil {
		fmt.Fprintf(stdout, "%s(cached: the sources, the toolchain and the database are those of a passing scan)\n", b)
		return nil
	}
	start := time.Now()
	results, err := scan(ctx, root, mods, govulncheck, dbDir, toolchain)
	if err != nil {
		return err
	}
	var report bytes.Buffer
	failed := vulncheck.WriteReport(&report, snap, results)
	fmt.Fprintf(&report, "vulncheck: Go %s (%s's toolchain line; what CI and the image build with), scanned in %v\n", toolchain, mods[0]+"/go.mod", time.Since(start).Round(100*time.Millisecond))
	stdout.Write(report.Bytes())
	if failed != nil {
		return failed
	}
	// One entry: the last passing scan is the only one a warm run can match.
	_ = os.RemoveAll(filepath.Dir(cached))
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err == nil {
		_ = os.WriteFile(cached, report.Bytes(), 0o644)
	}
	return nil
}

// scan runs source mode over every module at once (the workspace, from the first module's
// directory) and binary mode over the server built as the Dockerfile builds it.
func scan(ctx context.Context, root string, mods []string, bin, db, toolchain string) ([]vulncheck.Result, error) {
	env := []string{"GOTOOLCHAIN=" + toolchain}
	patterns := []string{"./..."}
	for _, m := range mods[1:] {
		patterns = append(patterns, "../"+m+"/...")
	}
	source, err := vulncheck.Scan(ctx, bin, db, vulncheck.Target{Dir: filepath.Join(root, mods[0]), Patterns: patterns}, env)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "vulncheck-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	server, err := buildServer(root, mods[0], tmp, toolchain)
	if err != nil {
		return nil, err
	}
	binary, err := vulncheck.Scan(ctx, bin, db, vulncheck.Target{Dir: root, Binary: server}, env)
	if err != nil {
		return nil, err
	}
	return []vulncheck.Result{source, binary}, nil
}

// buildServer runs the Dockerfile builder stage's go build for this machine's architecture.
func buildServer(root, appDir, dir, toolchain string) (string, error) {
	dt, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return "", err
	}
	gb, err := dockerfile.ExtractGoBuild(dt)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "server")
	vars := map[string]string{"TARGETOS": "linux", "TARGETARCH": runtime.GOARCH, "GOTOOLCHAIN": toolchain}
	return out, gb.Run(filepath.Join(root, appDir), out, vars)
}

// snapshot resolves the database directory (.tools/vulndb links to vulndb-<version>) and reads
// its date.
func snapshot(db string) (vulncheck.Snapshot, string, error) {
	dir, err := filepath.EvalSymlinks(db)
	if err != nil {
		return vulncheck.Snapshot{}, "", fmt.Errorf("no vulnerability database at %s: run scripts/install-tools vuln", db)
	}
	dir, _ = filepath.Abs(dir)
	b, err := os.ReadFile(filepath.Join(dir, "index", "db.json"))
	if err != nil {
		return vulncheck.Snapshot{}, "", fmt.Errorf("%s is not a vulnerability database (%v): run scripts/install-tools vuln", dir, err)
	}
	date := regexp.MustCompile(`"modified":"([^"]+)"`).FindSubmatch(b)
	if date == nil {
		return vulncheck.Snapshot{}, "", fmt.Errorf("%s/index/db.json has no modified time", dir)
	}
	return vulncheck.Snapshot{Version: strings.TrimPrefix(filepath.Base(dir), "vulndb-"), Date: string(date[1])}, dir, nil
}

// declaredToolchain is go.mod's toolchain line (or its go line): the Go release the scan
// checks the standard library of. With GOTOOLCHAIN set to it, the go command fetches that
// release through the module proxy, as Go's default GOTOOLCHAIN=auto does for any build.
func declaredToolchain(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if m := regexp.MustCompile(`(?m)^toolchain (go\S+)`).FindSubmatch(b); m != nil {
		return string(m[1]), nil
	}
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
