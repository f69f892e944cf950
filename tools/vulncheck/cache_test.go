package vulncheck

import (
	"os"
	"path/filepath"
	"testing"
)

// A cached pass is reused only while nothing it depends on changed.
func TestSourceKey(t *testing.T) {
	root := t.TempDir()
	write := func(rel, body string) {
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app/main.go", "package main")
	write("app/go.mod", "module app")
	write("Dockerfile", "FROM scratch")
	key := func(labels ...string) string {
		k, err := SourceKey(root, []string{"app"}, []string{"Dockerfile"}, labels)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key("govulncheck-v1.9.0", "db-1", "go1.26.10")
	write("app/README.md", "not a source")
	if key("govulncheck-v1.9.0", "db-1", "go1.26.10") != base {
		t.Error("a file that is not Go source changed the key")
	}
	for name, change := range map[string]func() string{
		"source": func() string {
			write("app/main.go", "package main // changed")
			return key("govulncheck-v1.9.0", "db-1", "go1.26.10")
		},
		"go.sum": func() string { write("app/go.sum", "x v1 h1:"); return key("govulncheck-v1.9.0", "db-1", "go1.26.10") },
		"Dockerfile": func() string {
			write("Dockerfile", "FROM other")
			return key("govulncheck-v1.9.0", "db-1", "go1.26.10")
		},
		"database":  func() string { return key("govulncheck-v1.9.0", "db-2", "go1.26.10") },
		"toolchain": func() string { return key("govulncheck-v1.9.0", "db-1", "go1.26.11") },
	} {
		if got := change(); got == base {
			t.Errorf("a change of the %s kept the key: a stale pass would be reused", name)
		}
	}
}
