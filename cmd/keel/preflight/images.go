package preflight

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/keelstack/keel/tools/pin"
)

// pinnedImages: the image asset is built from the Dockerfile at deploy time, so a tag-only
// image there means the deployed base is whatever the tag points at that day. Staging and
// prod deploy only pinned images; dev deploys with a warning.
func pinnedImages(_ context.Context, t target) ([]problem, error) {
	path := filepath.Join(t.root, "Dockerfile")
	dt, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	findings, err := pin.Check(dt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []problem
	for _, f := range findings {
		p := problem{where: fmt.Sprintf("Dockerfile:%d", f.Image.Line), message: f.Message, blocking: !f.Warning || t.production()}
		if f.Warning && t.production() {
			p.message += fmt.Sprintf(" (%s deploys only images pinned by digest)", t.stage)
		}
		out = append(out, p)
	}
	return out, nil
}
