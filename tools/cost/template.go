package cost

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Template is a synthesized CloudFormation template.
type Template map[string]any

// Stage is what the model prices: every stack of one stage's assembly, and its region.
type Stage struct {
	Name   string
	Region string
	Stacks []Stack
}

// Stack is one stack of a stage: its display name (dev/Service), template file and template.
type Stack struct {
	Name     string
	File     string
	Template Template
}

// resource is one template resource with its logical ID.
type resource struct {
	ID    string
	Props map[string]any
}

// resources lists the resources of type typ across the stage's templates, in a stable order.
func (s Stage) resources(typ string) []resource {
	var out []resource
	for _, st := range s.Stacks {
		rs, _ := st.Template["Resources"].(map[string]any)
		ids := make([]string, 0, len(rs))
		for id := range rs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			r, _ := rs[id].(map[string]any)
			if r["Type"] != typ {
				continue
			}
			props, _ := r["Properties"].(map[string]any)
			out = append(out, resource{ID: id, Props: props})
		}
	}
	return out
}

// ReadAssembly reads every stage of a cloud assembly directory (cdk.out): for each nested
// stage assembly its stacks' templates and the region of their environment.
func ReadAssembly(dir string) ([]Stage, error) {
	var stages []Stage
	dirs, err := stageDirs(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		s, err := readStage(d)
		if err != nil {
			return nil, err
		}
		stages = append(stages, s)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("cost: %s holds no stage assembly (assembly-<stage>/manifest.json): run make synth first", dir)
	}
	return stages, nil
}

// readStage reads one nested assembly, named assembly-<stage>.
func readStage(dir string) (Stage, error) {
	var manifest struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
			DisplayName string `json:"displayName"`
			Properties  struct {
				TemplateFile string `json:"templateFile"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return Stage{}, fmt.Errorf("cost: %w", err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		return Stage{}, fmt.Errorf("cost: %s: %w", dir, err)
	}
	s := Stage{Name: filepath.Base(dir)[len("assembly-"):]}
	names := make([]string, 0, len(manifest.Artifacts))
	for name := range manifest.Artifacts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		a := manifest.Artifacts[name]
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		region, err := envRegion(a.Environment)
		if err != nil {
			return Stage{}, fmt.Errorf("cost: stack %s: %w", name, err)
		}
		if s.Region != "" && s.Region != region {
			return Stage{}, fmt.Errorf("cost: stage %s has stacks in %s and %s: price them one region at a time", s.Name, s.Region, region)
		}
		s.Region = region
		file := filepath.Join(dir, a.Properties.TemplateFile)
		tb, err := os.ReadFile(file)
		if err != nil {
			return Stage{}, fmt.Errorf("cost: %w", err)
		}
		var tp Template
		if err := json.Unmarshal(tb, &tp); err != nil {
			return Stage{}, fmt.Errorf("cost: %s: %w", a.Properties.TemplateFile, err)
		}
		s.Stacks = append(s.Stacks, Stack{Name: cmp.Or(a.DisplayName, name), File: file, Template: tp})
	}
	return s, nil
}

// envRegion takes the region from an artifact environment aws://ACCOUNT/REGION.
func envRegion(env string) (string, error) {
	rest, ok := strings.CutPrefix(env, "aws://")
	_, region, found := strings.Cut(rest, "/")
	if !ok || !found || region == "" || strings.HasPrefix(region, "unknown-") {
		return "", fmt.Errorf("environment %q names no region: give the stage an explicit region", env)
	}
	return region, nil
}

// number reads a template number that CloudFormation allows as a JSON number or a string.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

// get walks a path of map keys; a missing step yields nil.
func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
