package rehearsal

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/keelstack/keel/tools/testkit/dockerfile"
)

// BuildServer builds the server from the working tree at root with the Dockerfile's own go
// build command and build arguments, stamped with version, for this machine, into dir.
func BuildServer(root, dir, version string) (string, error) {
	dt, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return "", err
	}
	gb, err := dockerfile.ExtractGoBuild(dt)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "server-"+version)
	vars := map[string]string{"TARGETOS": "linux", "TARGETARCH": runtime.GOARCH, "VERSION": version, "COMMIT": "rehearsal", "BUILD_DATE": "rehearsal"}
	if err := gb.Run(filepath.Join(root, "app"), out, vars); err != nil {
		return "", fmt.Errorf("build the server (%s): %w", version, err)
	}
	return out, nil
}
