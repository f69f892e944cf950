package reference

import (
	"bytes"
	"cmp"
	"fmt"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// modules are the workspace's modules, as go.work lists them.
var modules = []string{"app", "cmd", "infra", "tools", "test"}

// packagesPage lists every Go package of the workspace with the first sentence of its doc.
func packagesPage(root string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Packages\n\nEvery Go package of the five modules, with the first sentence of its doc comment: what it\nprovides, in the words of whoever wrote it.\n")
	for _, m := range modules {
		fmt.Fprintf(&b, "\n## %s\n\n| package | what it provides |\n| --- | --- |\n", m)
		dirs, err := goDirs(filepath.Join(root, m))
		if err != nil {
			return nil, err
		}
		for _, dir := range dirs {
			doc, err := packageDoc(dir)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(root, dir)
			fmt.Fprintf(&b, "| `%s` | %s |\n", filepath.ToSlash(rel), cmp.Or(doc, "(no package doc)"))
		}
	}
	return b.Bytes(), nil
}

// goDirs lists the directories under dir that hold Go files, skipping testdata and hidden ones.
func goDirs(dir string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != dir && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !slices.Contains(dirs, filepath.Dir(path)) {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	slices.Sort(dirs)
	return dirs, err
}

// packageDoc is the first sentence of the package's doc comment, from whichever file has one.
func packageDoc(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return "", err
		}
		if f.Doc != nil {
			return firstSentence(f.Doc.Text()), nil
		}
	}
	return "", nil
}

// firstSentence is the doc's synopsis as go doc shows it: its first sentence, one line.
func firstSentence(text string) string {
	return strings.ReplaceAll(new(doc.Package).Synopsis(text), "|", `\|`)
}
