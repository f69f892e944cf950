package reference

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"

	"github.com/keelstack/keel/infra/settings"
)

// Pictures draws each stage of the synthesized assembly as docs/stage-<stage>.svg, with
// Graphviz's dot (Debian's graphviz package: scripts/install-tools graphviz).
func Pictures(assembly string) ([]Page, error) {
	var pages []Page
	for _, stage := range settings.Names {
		stacks, err := ReadStage(assembly, stage)
		if err != nil {
			return nil, err
		}
		svg, err := SVG(StagePicture(stage, stacks))
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", stage, err)
		}
		pages = append(pages, Page{Path: "docs/stage-" + stage + ".svg", Body: svg})
	}
	return pages, nil
}

// SVG renders DOT with Graphviz.
func SVG(dot []byte) ([]byte, error) {
	path, err := exec.LookPath("dot")
	if err != nil {
		return nil, errors.New("dot (Graphviz) is not installed: run scripts/install-tools graphviz")
	}
	cmd := exec.Command(path, "-Tsvg")
	cmd.Stdin = bytes.NewReader(dot)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("dot: %v: %s", err, stderr.String())
	}
	return out, nil
}
