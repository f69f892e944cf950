package review

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// template is a CloudFormation template as JSON.
type template map[string]any

// resource is one resource of a template.
type resource struct {
	ID, Type string
	Props    map[string]any
}

// readTemplate reads a template file; a missing or empty file is an empty template (a stack
// that does not exist on that side).
func readTemplate(file string) (template, error) {
	if file == "" {
		return template{}, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	t := template{}
	if len(strings.TrimSpace(string(b))) == 0 {
		return t, nil
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// resources lists the template's resources by logical ID.
func (t template) resources() []resource {
	rs, _ := t["Resources"].(map[string]any)
	ids := make([]string, 0, len(rs))
	for id := range rs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]resource, 0, len(ids))
	for _, id := range ids {
		typ, _ := get(rs[id], "Type").(string)
		props, _ := get(rs[id], "Properties").(map[string]any)
		out = append(out, resource{ID: id, Type: typ, Props: props})
	}
	return out
}

// render writes a template value as a reviewer reads it: strings as they are, Ref and GetAtt
// as ${Name} and ${Name.Attr}, Join and Sub spelled out, anything else as JSON.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64, bool:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = render(p)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				switch k {
				case "Ref":
					return "${" + render(arg) + "}"
				case "Fn::GetAtt":
					if list, ok := arg.([]any); ok && len(list) == 2 {
						return "${" + render(list[0]) + "." + render(list[1]) + "}"
					}
					return "${" + render(arg) + "}"
				case "Fn::Join":
					if list, ok := arg.([]any); ok && len(list) == 2 {
						sep, _ := list[0].(string)
						parts, _ := list[1].([]any)
						out := make([]string, len(parts))
						for i, p := range parts {
							out[i] = render(p)
						}
						return strings.Join(out, sep)
					}
				case "Fn::Sub":
					if s, ok := arg.(string); ok {
						return s
					}
				case "Fn::ImportValue":
					return "${Import:" + render(arg) + "}"
				}
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// resolve renders every intrinsic inside v, keeping the structure around them.
func resolve(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return render(x)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolve(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(e)
		}
		return out
	}
	return v
}

// strs reads a value that IAM allows as one string or a list, rendered and sorted.
func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		for _, e := range x {
			out = append(out, render(e))
		}
	default:
		out = []string{render(x)}
	}
	slices.Sort(out)
	return out
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
