package reference

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/keelstack/keel/infra/settings"
)

// setting is one leaf of the settings struct: a key as cdk.json names it.
type setting struct {
	key   string // scaling.minTasks
	index []int  // reflect's field path from settings.Stage
	typ   reflect.Type
	doc   string
}

// settingsPage is the settings reference: every key with its type, its value per stage (the Go
// defaults under this repository's cdk.json), its doc comment, and what validation says about
// it, found by trying values on each stage.
func settingsPage(root string) ([]byte, error) {
	docs, err := fieldDocs(filepath.Join(root, "infra", "settings"))
	if err != nil {
		return nil, err
	}
	stages, overridden, err := repositoryStages(root)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`# Settings

Every key a stage takes under ` + "`keel:<stage>`" + ` in cdk.json (or ` + "`-c 'keel:<stage>={...}'`" + `), with its
value per stage, its doc comment, and what synth says when it is wrong.

Values are the Go defaults (infra/settings/defaults.go) under this repository's cdk.json; a † marks
one that cdk.json sets. *Rules* are the validation messages the key produces, found by trying
wrong values on each stage; rules across stages (one bootstrap qualifier per stage and account,
one GitHub OIDC provider per account) are checked when the stages are built together.
`)
	all := leaves(reflect.TypeFor[settings.Stage](), nil, "", docs)
	// The stage's own keys first (account, region, protect...), then one section per group.
	slices.SortStableFunc(all, func(a, b setting) int { return cmp.Compare(depth(a), depth(b)) })
	section := "-"
	for _, s := range all {
		top, _, nested := strings.Cut(s.key, ".")
		if !nested {
			top = "" // the stage's own keys: account, region, protect, ...
		}
		if top != section {
			section = top
			heading, about := top, cellText(docs[typeKey(reflect.TypeFor[settings.Stage](), top)])
			if top == "" {
				heading, about = "The stage itself", cellText(docs["Stage"])
			}
			fmt.Fprintf(&b, "\n## %s\n\n%s\n\n| key | type | dev | staging | prod |\n| --- | --- | --- | --- | --- |\n", heading, about)
		}
		fmt.Fprintf(&b, "| `%s` | %s |", s.key, typeName(s.typ))
		for _, st := range stages {
			mark := ""
			if overridden[st.Name+"."+s.key] {
				mark = " †"
			}
			v, err := reflect.ValueOf(st).FieldByIndexErr(s.index)
			if err != nil {
				v = reflect.Value{} // inside an absent block
			}
			fmt.Fprintf(&b, " %s%s |", cell(v), mark)
		}
		b.WriteString("\n")
		if about := describe(s, stages); about != "" {
			fmt.Fprintf(&b, "| | %s | | | |\n", about)
		}
	}
	return b.Bytes(), nil
}

// depth is 0 for the stage's own keys and 1 for a key in a group, whatever its nesting.
func depth(s setting) int { return min(strings.Count(s.key, "."), 1) }

// describe is a key's doc comment and its rules, for the row under it.
func describe(s setting, stages []settings.Stage) string {
	var parts []string
	if s.doc != "" {
		parts = append(parts, cellText(s.doc))
	}
	if rules := rulesOf(s, stages); len(rules) > 0 {
		parts = append(parts, "*Rules:* "+cellText(strings.Join(rules, "; ")))
	}
	return strings.Join(parts, " ")
}

// leaves walks the struct's JSON-named fields down to the values a key sets.
func leaves(t reflect.Type, index []int, prefix string, docs map[string]string) []setting {
	var out []setting
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		idx := append(slices.Clone(index), i)
		key := prefix + name
		if st := structType(f.Type); st != nil {
			out = append(out, leaves(st, idx, key+".", docs)...)
			continue
		}
		out = append(out, setting{key: key, index: idx, typ: f.Type, doc: docs[t.Name()+"."+f.Name]})
	}
	return out
}

// structType is t's struct, through a pointer (an optional block such as database), or nil.
func structType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		return t
	}
	return nil
}

// typeKey names a field's doc in fieldDocs: Type.Field, or the field's struct type's own doc.
func typeKey(t reflect.Type, jsonName string) string {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == jsonName {
			if st := structType(f.Type); st != nil {
				return st.Name()
			}
			return t.Name() + "." + f.Name
		}
	}
	return ""
}

// fieldDocs reads the settings package's comments: "Type" for a type's doc, "Type.Field" for
// a field's doc or line comment.
func fieldDocs(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, spec := range g.Specs {
				ts := spec.(*ast.TypeSpec)
				docs[ts.Name.Name] = cmpDoc(ts.Doc, g.Doc)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fl := range st.Fields.List {
					for _, n := range fl.Names {
						docs[ts.Name.Name+"."+n.Name] = cmpDoc(fl.Doc, fl.Comment)
					}
				}
			}
		}
	}
	return docs, nil
}

func cmpDoc(groups ...*ast.CommentGroup) string {
	for _, g := range groups {
		if g != nil {
			return strings.Join(strings.Fields(g.Text()), " ")
		}
	}
	return ""
}

// repositoryStages builds the stages as synth does from cdk.json, and notes which keys
// cdk.json sets ("prod.scaling.maxTasks").
func repositoryStages(root string) ([]settings.Stage, map[string]bool, error) {
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return nil, nil, err
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, nil, fmt.Errorf("cdk.json: %w", err)
	}
	stages, err := settings.FromContext(cfg.Context)
	if err != nil {
		return nil, nil, err
	}
	overridden := map[string]bool{}
	for _, name := range settings.Names {
		markKeys(overridden, name, cfg.Context[settings.ContextPrefix+name])
	}
	return stages, overridden, nil
}

func markKeys(into map[string]bool, prefix string, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		into[prefix] = true
		return
	}
	for k, sub := range obj {
		markKeys(into, prefix+"."+k, sub)
	}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s"
	case reflect.Map:
		return "object of " + typeName(t.Elem()) + "s"
	case reflect.Pointer:
		return typeName(t.Elem()) + " or absent"
	}
	return t.String()
}

// cell renders a value as cdk.json would hold it.
func cell(v reflect.Value) string {
	if !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() || v.Kind() == reflect.Slice && v.Len() == 0 {
		return "–"
	}
	b, _ := json.Marshal(v.Interface())
	if string(b) == `""` {
		return "–"
	}
	return "`" + cellText(string(b)) + "`"
}

func cellText(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
