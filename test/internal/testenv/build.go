package testenv

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/keelstack/keel/tools/testkit/dockerfile"
)

// BuildServerLikeDockerfile runs the Dockerfile builder stage's go build RUN, with its ENV and
// ARGs plus stamp, in app/ (what the Dockerfile copies to its WORKDIR), for this machine's
// architecture, writing the binary into dir.
func BuildServerLikeDockerfile(dir string, stamp map[string]string) (string, error) {
	root, err := FindRepoRoot()
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
	vars := map[string]string{"TARGETOS": "linux", "TARGETARCH": runtime.GOARCH}
	maps.Copy(vars, stamp)
	out := filepath.Join(dir, "server")
	return out, gb.Run(filepath.Join(root, "app"), out, vars)
}

// BuildGo builds the main package pkg (relative to the repository root) into dir.
func BuildGo(dir, pkg string) (string, error) {
	root, err := FindRepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, "./"+pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}
