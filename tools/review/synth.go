package review

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// synthErrors reads the error annotations (cdk-nag findings, settings errors) that the CDK
// wrote into each stage's stack metadata, by stage. make synth fails on any of them; the
// review synthesizes past them (--ignore-errors) so that the change they are about is still
// shown, and lists them.
func synthErrors(assembly string) (map[string][]string, error) {
	files, err := filepath.Glob(filepath.Join(assembly, "assembly-*", "*.metadata.json"))
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("review: %w", err)
		}
		var m map[string][]struct {
			Type string `json:"type"`
			Data any    `json:"data"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("review: %s: %w", f, err)
		}
		stage := strings.TrimPrefix(filepath.Base(filepath.Dir(f)), "assembly-")
		for path, entries := range m {
			for _, e := range entries {
				if e.Type == "aws:cdk:error" {
					msg, _, _ := strings.Cut(fmt.Sprint(e.Data), ": ")
					out[stage] = append(out[stage], path+": "+msg)
				}
			}
		}
		slices.Sort(out[stage])
	}
	return out, nil
}
