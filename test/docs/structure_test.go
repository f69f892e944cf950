package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// TestReadmeIsTheFirstScreen: the README stays a page a newcomer reads in five minutes.
func TestReadmeIsTheFirstScreen(t *testing.T) {
	for _, p := range pages(t) {
		if p.path == "README.md" {
			if n := strings.Count(p.text, "\n"); n > 200 {
				t.Errorf("README.md has %d lines: keep it to the first screen (about 200) and move detail to docs/", n)
			}
		}
	}
}

// TestPagesStartWithSummary: each page under docs/ opens with its title and a two-line summary.
func TestPagesStartWithSummary(t *testing.T) {
	for _, p := range pages(t) {
		if p.path == "README.md" {
			continue
		}
		lines := strings.Split(p.text, "\n")
		if len(lines) < 6 {
			t.Errorf("%s is too short to have a title and a summary", p.path)
			continue
		}
		if p.generated() {
			lines = lines[2:] // the generated-by comment
		}
		if !strings.HasPrefix(lines[0], "# ") || lines[1] != "" || lines[2] == "" || lines[3] == "" || lines[4] != "" {
			t.Errorf("%s: start with '# Title', a blank line, a two-line summary and a blank line", p.path)
		}
	}
}

// TestNoParagraphTwice: a paragraph said twice, in one page or two, is merge damage.
func TestNoParagraphTwice(t *testing.T) {
	seen := map[string]string{}
	for _, p := range pages(t) {
		for _, para := range p.prose {
			if len(para) < 80 || strings.HasPrefix(para, "<!--") {
				continue
			}
			if where, ok := seen[para]; ok {
				t.Errorf("%s repeats a paragraph of %s: %.80q", p.path, where, para)
			}
			seen[para] = p.path
			if phrase := repeatedPhrase(para, 10); phrase != "" {
				t.Errorf("%s: a paragraph says %q twice: %.80q", p.path, phrase, para)
			}
		}
	}
}

// repeatedPhrase finds n consecutive words that occur twice in one paragraph.
func repeatedPhrase(para string, n int) string {
	words := strings.Fields(para)
	seen := map[string]bool{}
	for i := 0; i+n <= len(words); i++ {
		key := strings.Join(words[i:i+n], " ")
		if seen[key] {
			return key
		}
		seen[key] = true
	}
	return ""
}

// TestRepeatedPhraseCatchesMergeDamage: the garbled paragraph issue 29 found is caught.
func TestRepeatedPhraseCatchesMergeDamage(t *testing.T) {
	damaged := "What can be set: a new VPC (NAT count; dev runs tasks in public subnets with public IPs and no NAT) or an imported one by IDs; task CPU/memory, ARM64, public subnets with public IPs and no NAT) or an imported one by IDs; the foundation"
	if repeatedPhrase(damaged, 10) == "" {
		t.Error("the damaged paragraph passed")
	}
	if repeatedPhrase("each stage holds four stacks, and each stack holds its own resources", 10) != "" {
		t.Error("a sound paragraph failed")
	}
}

// plainBootstrap is a cdk bootstrap with arguments but without keel's boundary: the CDK's
// default gives CloudFormation AdministratorAccess.
var plainBootstrap = regexp.MustCompile(`cdk bootstrap\s+\S`)

func instructsPlainBootstrap(code string) bool {
	for _, line := range strings.Split(code, "\n") {
		if plainBootstrap.MatchString(line) && !strings.Contains(line, "--custom-permissions-boundary") {
			return true
		}
	}
	return false
}

// TestNoContradictoryInstruction: what the docs forbid, no page instructs.
func TestNoContradictoryInstruction(t *testing.T) {
	for _, p := range pages(t) {
		code := p.inline()
		for _, b := range p.blocks {
			code = append(code, b.body)
			if strings.Contains(b.body, "aws ecs wait services-stable") {
				t.Errorf("%s waits with services-stable, which gives up after 10 minutes, shorter than staging's and prod's deploys: use settle (docs/runbooks.md)", p.path)
			}
		}
		for _, c := range code {
			if instructsPlainBootstrap(c) {
				t.Errorf("%s instructs a plain cdk bootstrap (%q), which gives CloudFormation AdministratorAccess: use make bootstrap STAGE=<stage>", p.path, c)
			}
		}
	}
}

func TestPlainBootstrapIsCaught(t *testing.T) {
	for code, want := range map[string]bool{
		"node_modules/.bin/cdk bootstrap aws://ACCOUNT/REGION":                                                true,
		"cdk bootstrap aws://1/eu-west-1 --qualifier keeldev --custom-permissions-boundary keel-dev-boundary": false,
		"cdk bootstrap": false, // named, not instructed
	} {
		if instructsPlainBootstrap(code) != want {
			t.Errorf("%q: plain %v, want %v", code, !want, want)
		}
	}
}

var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestLinksResolve: every relative link names a file that exists, and a heading in it.
func TestLinksResolve(t *testing.T) {
	root := testenv.RepoRoot(t)
	exists := func(path string) bool { _, err := os.Stat(filepath.Join(root, path)); return err == nil }
	for _, problem := range brokenLinks(pages(t), exists) {
		t.Error(problem)
	}
}

// brokenLinks lists each relative link to a file that does not exist, or to a heading its page
// does not have.
func brokenLinks(ps []page, exists func(path string) bool) []string {
	anchors := map[string][]string{}
	for _, p := range ps {
		anchors[p.path] = headingAnchors(p.text)
	}
	var out []string
	for _, p := range ps {
		for _, m := range link.FindAllStringSubmatch(p.text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := p.path
			if file != "" {
				path = filepath.ToSlash(filepath.Join(filepath.Dir(p.path), file))
				if !exists(path) {
					out = append(out, fmt.Sprintf("%s links to %s, which does not exist", p.path, target))
					continue
				}
			}
			if anchor != "" && !contains(anchors[path], anchor) {
				out = append(out, fmt.Sprintf("%s links to %s, but %s has no heading #%s", p.path, target, path, anchor))
			}
		}
	}
	return out
}

// TestBrokenLinksAreFound: a missing page and a missing heading are both named.
func TestBrokenLinksAreFound(t *testing.T) {
	ps := []page{
		parse("README.md", "# keel\n\nSee [security](docs/security.md#least-privilege), [gone](docs/gone.md) and [here](#keel).\n"),
		parse("docs/security.md", "# Security\n\n## Scoped bootstrap\n"),
	}
	exists := func(path string) bool { return path == "README.md" || path == "docs/security.md" }
	got := brokenLinks(ps, exists)
	if len(got) != 2 || !strings.Contains(got[0], "no heading #least-privilege") || !strings.Contains(got[1], "docs/gone.md, which does not exist") {
		t.Errorf("broken links found: %q", got)
	}
}

var heading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)

// headingAnchors are GitHub's anchors: lower case, punctuation dropped, spaces as hyphens.
func headingAnchors(text string) []string {
	var out []string
	inCode := false
	for _, line := range strings.Split(text, "\n") {
		if fence.MatchString(line) {
			inCode = !inCode
		}
		if m := heading.FindStringSubmatch(line); m != nil && !inCode {
			var b strings.Builder
			for _, r := range strings.ToLower(m[1]) {
				switch {
				case r == ' ':
					b.WriteRune('-')
				case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
					b.WriteRune(r)
				}
			}
			out = append(out, b.String())
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestNoConflictMarkers: a merge's conflict markers committed into a page.
var conflictMarker = regexp.MustCompile(`(?m)^(<<<<<<< |=======$|>>>>>>> )`)

func TestNoConflictMarkers(t *testing.T) {
	for _, p := range pages(t) {
		if loc := conflictMarker.FindStringIndex(p.text); loc != nil {
			t.Errorf("%s holds a merge conflict marker at byte %d", p.path, loc[0])
		}
	}
}

func TestConflictMarkersAreFound(t *testing.T) {
	damaged := "# keel\n\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> keel/cli\n"
	if conflictMarker.FindStringIndex(damaged) == nil {
		t.Error("a page with a merge conflict passed")
	}
	if conflictMarker.FindStringIndex("# keel\n\nA heading underline:\n\n==== is not a marker\n") != nil {
		t.Error("a sound page failed")
	}
}
