package reference

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Stack is one synthesized CloudFormation template of a stage.
type Stack struct {
	Name      string // Service, Foundation, ... (the construct path after the stage)
	Resources map[string]Resource
	Outputs   map[string]struct {
		Value  any
		Export *struct{ Name any }
	}
}

// Resource is a template resource: its type and its properties as JSON values.
type Resource struct {
	Type       string
	Properties map[string]any
}

// ReadStage reads the stacks of one stage's nested assembly (cdk.out/assembly-<stage>).
func ReadStage(assembly, stage string) ([]Stack, error) {
	dir := filepath.Join(assembly, "assembly-"+stage)
	var manifest struct {
		Artifacts map[string]struct {
			Type        string
			DisplayName string
			Properties  struct{ TemplateFile string }
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w (run make synth first)", stage, err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var stacks []Stack
	for _, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		tb, err := os.ReadFile(filepath.Join(dir, a.Properties.TemplateFile))
		if err != nil {
			return nil, err
		}
		s := Stack{Name: strings.TrimPrefix(a.DisplayName, stage+"/")}
		if err := json.Unmarshal(tb, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", a.Properties.TemplateFile, err)
		}
		stacks = append(stacks, s)
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("%s holds no stack", dir)
	}
	slices.SortFunc(stacks, func(a, b Stack) int { return strings.Compare(a.Name, b.Name) })
	return stacks, nil
}

// refs lists the logical IDs a JSON value refers to (Ref, Fn::GetAtt) and the export names it
// imports (Fn::ImportValue), anywhere inside it.
func refs(v any) (ids, imports []string) {
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, sub := range t {
				switch k {
				case "Ref":
					if s, ok := sub.(string); ok && !strings.HasPrefix(s, "AWS::") {
						ids = append(ids, s)
					}
				case "Fn::GetAtt":
					if a, ok := sub.([]any); ok && len(a) > 0 {
						if s, ok := a[0].(string); ok {
							ids = append(ids, s)
						}
					}
				case "Fn::ImportValue":
					if s, ok := sub.(string); ok {
						imports = append(imports, s)
					}
				}
				walk(sub)
			}
		case []any:
			for _, sub := range t {
				walk(sub)
			}
		}
	}
	walk(v)
	return ids, imports
}
