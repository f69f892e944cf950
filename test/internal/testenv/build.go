package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/keelstack/keel/tools/dockerfile"
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
