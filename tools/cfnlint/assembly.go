package cfnlint

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Template is one stack's template in a cloud assembly, with the region its manifest gives it.
type Template struct {
	Stack, Path, Region string
}

type manifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		Environment string `json:"environment"`
		Properties  struct {
			TemplateFile  string `json:"templateFile"`
			DirectoryName string `json:"directoryName"`
		} `json:"properties"`
	} `json:"artifacts"`
}

// Templates lists every stack template of the cloud assembly in dir and of the assemblies it
// nests (one per stage: assembly-<stage>/), each with the region of its environment.
func Templates(dir string) ([]Template, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("cloud assembly %s: %w (synthesize first: make synth-fast)", dir, err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s/manifest.json: %w", dir, err)
	}
	var out []Template
	for id, a := range m.Artifacts {
		switch a.Type {
		case "cdk:cloud-assembly":
			nested, err := Templates(filepath.Join(dir, a.Properties.DirectoryName))
			if err != nil {
				return nil, err
			}
			out = append(out, nested...)
		case "aws:cloudformation:stack":
			// aws://ACCOUNT/REGION; an environment-agnostic stack has unknown-region.
			region := a.Environment[strings.LastIndex(a.Environment, "/")+1:]
			if region == "" || region == "unknown-region" {
				return nil, fmt.Errorf("%s: stack %s has no region (environment %q): give the stack an env so the linter checks it against its region", dir, id, a.Environment)
			}
			out = append(out, Template{Stack: id, Path: filepath.Join(dir, a.Properties.TemplateFile), Region: region})
		}
	}
	return out, nil
}
