// Package docs tests README.md and docs/ as a newcomer reads them: every command in them runs
// or dry-runs, no paragraph is said twice, no instruction contradicts another, every link
// resolves.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// page is one Markdown file, split into its fenced code blocks and its prose.
type page struct {
	path   string // from the repository root
	text   string
	blocks []block
	prose  []string // paragraphs outside code blocks, whitespace joined
}

type block struct {
	lang, body string
}

// generatedPages are written by make docs; their content is checked by the generator's test.
var generatedPages = []string{"docs/settings.md", "docs/commands.md", "docs/packages.md", "docs/keel.md"}

func pages(t *testing.T) []page {
	t.Helper()
	root := testenv.RepoRoot(t)
	paths, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	paths = append([]string{filepath.Join(root, "README.md")}, paths...)
	var out []page
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, parse(filepath.ToSlash(rel), string(b)))
	}
	return out
}

var fence = regexp.MustCompile("^\\s*(```+)(\\w*)")

func parse(path, text string) page {
	p := page{path: path, text: text}
	var para, code []string
	inCode, lang, marker := false, "", ""
	flush := func() {
		if len(para) > 0 {
			p.prose = append(p.prose, strings.Join(strings.Fields(strings.Join(para, " ")), " "))
			para = nil
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if m := fence.FindStringSubmatch(line); m != nil && (!inCode || m[1] == marker && strings.TrimSpace(line) == marker) {
			if inCode {
				p.blocks = append(p.blocks, block{lang: lang, body: strings.Join(code, "\n")})
				code, inCode = nil, false
			} else {
				flush()
				inCode, lang, marker = true, m[2], m[1]
			}
			continue
		}
		switch {
		case inCode:
			code = append(code, line)
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "|"):
			flush()
		default:
			para = append(para, line)
		}
	}
	flush()
	return p
}

// inlineCode lists the `code spans` of a page's prose and tables.
var inlineSpan = regexp.MustCompile("`([^`\n]+)`")

func (p page) inline() []string {
	var out []string
	inCode := false
	for _, line := range strings.Split(p.text, "\n") {
		if fence.MatchString(line) {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		for _, m := range inlineSpan.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

func (p page) generated() bool {
	for _, g := range generatedPages {
		if p.path == g {
			return true
		}
	}
	return false
}
