// Package pin finds the images a Dockerfile pulls and pins them by digest: it reports the
// references written name:tag only (or malformed) and rewrites them to name:tag@sha256:….
// It needs BuildKit's parser only, so that the preflight before synth and deploy builds fast.
package pin

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Command is what turns tag-only references into pinned ones.
const Command = "make pin-images"

// Image is an image the build pulls: a stage's base, or the BuildKit frontend named by the
// `# syntax=` directive. Ref is written name:tag or name:tag@sha256:<64 hex>.
type Image struct {
	Ref      string
	Line     int
	Frontend bool
}

var sha256Digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Split returns the reference's name, tag and digest ("" when absent).
func (im Image) Split() (name, tag, digest string) {
	name, digest, _ = strings.Cut(im.Ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

// Tagged is the reference without its digest: what a registry resolves.
func (im Image) Tagged() string {
	ref, _, _ := strings.Cut(im.Ref, "@")
	return ref
}

// Pinned reports whether the reference carries a digest.
func (im Image) Pinned() bool { return strings.Contains(im.Ref, "@") }

func (im Image) String() string {
	if im.Frontend {
		return "# syntax=" + im.Ref
	}
	return "FROM " + im.Ref
}

// Images lists the images dt pulls, in file order: the syntax frontend, then each stage's base
// that is an image (not scratch, not an earlier stage).
func Images(dt []byte) ([]Image, error) {
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, err
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return nil, err
	}
	var out []Image
	if ref, _, loc, ok := parser.ParseDirective("syntax", dt); ok {
		out = append(out, Image{Ref: ref, Line: line(loc), Frontend: true})
	}
	named := map[string]bool{"scratch": true}
	for _, s := range stages {
		if !named[strings.ToLower(s.BaseName)] {
			out = append(out, Image{Ref: s.BaseName, Line: line(s.Location)})
		}
		if s.Name != "" {
			named[strings.ToLower(s.Name)] = true
		}
	}
	return out, nil
}

// Problem is an image reference that is tag-only (a Warning) or not well formed.
type Problem struct {
	Image   Image
	Message string
	Warning bool
}

// Check returns a warning for each tag-only image and an error for each reference that is
// not name:tag or name:tag@sha256:<64 hex>.
func Check(dt []byte) ([]Problem, error) {
	images, err := Images(dt)
	if err != nil {
		return nil, err
	}
	var out []Problem
	for _, im := range images {
		if p, bad := check(im); bad {
			out = append(out, p)
		}
	}
	return out, nil
}

func check(im Image) (Problem, bool) {
	f := Problem{Image: im}
	_, tag, digest := im.Split()
	switch {
	case tag == "":
		f.Message = fmt.Sprintf("%s has no tag: write name:tag so that readers and Dependabot know what it tracks, then run %s", im, Command)
	case !im.Pinned():
		f.Warning = true
		f.Message = fmt.Sprintf("%s is a tag without a digest, so two builds of one commit can use different images: run %s where the registries are reachable and commit the result", im, Command)
	case !sha256Digest.MatchString(digest):
		f.Message = fmt.Sprintf("%s: %q is not a sha256 digest (sha256: and 64 lowercase hex digits): run %s", im, digest, Command)
	case strings.Contains(im.Ref, "$"):
		f.Message = fmt.Sprintf("%s: a digest pins exactly one tag, so a build argument in the reference would change nothing: write the tag literally and run %s", im, Command)
	default:
		return Problem{}, false
	}
	return f, true
}

// Rewrite rewrites every image reference of dt to name:tag@<digest of name:tag> as resolve
// answers, keeping everything else byte for byte. It returns the new file and the images
// whose reference changed. Nothing is rewritten unless every image resolves.
func Rewrite(dt []byte, resolve func(tagged string) (string, error)) ([]byte, []Image, error) {
	images, err := Images(dt)
	if err != nil {
		return nil, nil, err
	}
	lines := strings.SplitAfter(string(dt), "\n")
	var changed []Image
	var errs []error
	for _, im := range images {
		if strings.Contains(im.Ref, "$") {
			errs = append(errs, fmt.Errorf("line %d: %s uses a build argument: a digest pins exactly one tag, so write the tag literally", im.Line, im))
			continue
		}
		if _, tag, _ := im.Split(); tag == "" {
			errs = append(errs, fmt.Errorf("line %d: %s has no tag to resolve: write name:tag", im.Line, im))
			continue
		}
		digest, err := resolve(im.Tagged())
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %s: %w", im.Line, im.Tagged(), err))
			continue
		}
		pinned := im.Tagged() + "@" + digest
		if pinned == im.Ref {
			continue
		}
		i := im.Line - 1
		if i < 0 || i >= len(lines) || !replaceToken(&lines[i], im.Ref, pinned) {
			errs = append(errs, fmt.Errorf("line %d: %s is not written on that line: put the instruction on one line", im.Line, im))
			continue
		}
		changed = append(changed, Image{Ref: pinned, Line: im.Line, Frontend: im.Frontend})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return []byte(strings.Join(lines, "")), changed, nil
}

// replaceToken replaces old in *line where it stands as a whole word (after whitespace or
// '=', before whitespace or the end).
func replaceToken(line *string, old, new string) bool {
	s := *line
	for from := 0; ; {
		i := strings.Index(s[from:], old)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(old)
		before := i == 0 || strings.ContainsRune(" \t=", rune(s[i-1]))
		after := end == len(s) || strings.ContainsRune(" \t\r\n", rune(s[end]))
		if before && after {
			*line = s[:i] + new + s[end:]
			return true
		}
		from = end
	}
}

func line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}
