package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// scratch holds this binary's synthesized assembly; TestMain removes it.
var scratch = filepath.Join(os.TempDir(), fmt.Sprintf("keel-cli-test-%d", os.Getpid()))

func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(scratch)
	os.Exit(code)
}

// synthOnce is README command (1), make synth, run once per binary into scratch: its output
// directory and log.
var synthOnce = sync.OnceValues(func() (string, error) {
	root, err := testenv.FindRepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(scratch, "cdk.out")
	cmd := exec.Command("make", "-s", "synth", "CDK_OUT="+out)
	cmd.Dir, cmd.Env = root, offlineEnv()
	log, err := cmd.CombinedOutput()
	if err != nil {
		return string(log), fmt.Errorf("make synth: %w\n%s", err, log)
	}
	synthLog = string(log)
	return out, nil
})

var synthLog string

// assembly is the directory make synth wrote, synthesized once per binary.
func assembly(t *testing.T) (dir, log string) {
	t.Helper()
	testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	dir, err := synthOnce()
	if err != nil {
		t.Fatal(err)
	}
	return dir, synthLog
}
