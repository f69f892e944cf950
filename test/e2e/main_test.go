// Package e2e runs the service binary, built with the Dockerfile's own go build command,
// against a real S3 server on loopback holding a vault written by app/vsync's writer.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/dockerfile"
)

// serverBin is the binary under test, built once in TestMain.
var serverBin string

// stamp is what the build writes into the binary, checked by TestVersionIsStamped.
var stamp = map[string]string{"VERSION": "e2e-version", "COMMIT": "e2e-commit", "BUILD_DATE": "2026-11-22T00:00:00Z"}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keel-e2e-")
	if err != nil {
		panic(err)
	}
	serverBin, err = buildLikeTheDockerfile(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the server:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildLikeTheDockerfile runs the builder stage's go build RUN, with its ENV and ARGs, in
// app/ (what the Dockerfile copies to its WORKDIR), for this machine's architecture.
func buildLikeTheDockerfile(dir string) (string, error) {
	root, err := testenv.FindRepoRoot()
	if err != nil {
		return "", err
	}
	dt, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return "", err
	}
	gb, err := dockerfile.ExtractGoBuild(dt)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "server")
	cmd := exec.Command("sh", "-c", strings.ReplaceAll(gb.Script, gb.Output, out))
	cmd.Dir = filepath.Join(root, "app")
	cmd.Env = os.Environ()
	for _, vars := range []map[string]string{gb.Args, gb.Env, stamp, {"TARGETOS": "linux", "TARGETARCH": runtime.GOARCH}} {
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, b)
	}
	return out, nil
}
