// Package e2e runs the service binary, built with the Dockerfile's own go build command,
// against a real S3 server on loopback holding a vault written by app/vsync's writer.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
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
	serverBin, err = testenv.BuildServerLikeDockerfile(dir, stamp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the server:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
