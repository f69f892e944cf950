// Command keel-cdk is the CDK app: `cdk synth` runs it (see cdk.json) with the context from
// cdk.json, and it synthesizes one assembly per stage into cdk.out.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/keelstack/keel/infra/internal/jsiiexit"
	"github.com/keelstack/keel/infra/stage"
)

func main() {
	err := run(os.Stderr)
	stderr := jsiiexit.Close()
	if err != nil {
		fmt.Fprintln(stderr, "keel-cdk:", err)
		os.Exit(1)
	}
}

func run(stderr io.Writer) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	app := awscdk.NewApp(nil)
	context, _ := app.Node().GetAllContext(nil).(map[string]any)
	if _, err := stage.Build(app, context, stage.Image{RepoRoot: root, BuildArgs: buildArgs(root, stderr)}); err != nil {
		return fmt.Errorf("invalid stage settings:\n%w", err)
	}
	app.Synth(nil)
	return nil
}

// repoRoot is the working directory, which must hold cdk.json: the CLI runs the app there.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "cdk.json")); err != nil {
		return "", errors.New("no cdk.json here: run the app from the repository root (cdk synth does)")
	}
	return dir, nil
}

// buildArgs stamps the image with the last commit that touched what the image is built from,
// so that an infra-only commit leaves the image (and its asset hash) unchanged.
func buildArgs(root string, stderr io.Writer) map[string]string {
	out, err := exec.Command("git", "-C", root, "log", "-1", "--format=%H %cI", "--", "app", "Dockerfile", ".dockerignore").Output()
	fields := strings.Fields(string(out))
	if err != nil || len(fields) != 2 {
		fmt.Fprintln(stderr, "keel-cdk: no git history for app/: the image is stamped version \"unknown\"")
		return map[string]string{"VERSION": "unknown", "COMMIT": "unknown", "BUILD_DATE": "unknown"}
	}
	return map[string]string{"VERSION": fields[0][:12], "COMMIT": fields[0], "BUILD_DATE": fields[1]}
}
