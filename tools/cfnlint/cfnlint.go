// Package cfnlint runs AWS's CloudFormation linter (cfn-lint) over every stack template of a
// synthesized cloud assembly, each against its own region, and judges its findings against
// keel's exceptions file: every finding that is not an exception fails, and so does an
// exception that no longer matches anything.
package cfnlint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"time"
)

// ErrMissing is returned by Find when cfn-lint is not installed.
var ErrMissing = errors.New("cfn-lint is not installed (scripts/install-tools cfnlint)")

// Find returns the path of cfn-lint on PATH.
func Find() (string, error) {
	path, err := exec.LookPath("cfn-lint")
	if err != nil {
		return "", ErrMissing
	}
	return path, nil
}

// Finding is one cfn-lint match.
type Finding struct {
	Rule, Level, Message string
	File                 string
	Line                 int
	// Resource and Type name the resource the finding is about; both are empty for a
	// finding outside Resources (outputs, parameters, the template itself).
	Resource, Type string
}

func (f Finding) String() string {
	where := "template"
	if f.Resource != "" {
		where = f.Resource + " (" + f.Type + ")"
	}
	return fmt.Sprintf("%s:%d: %s %s: %s: %s", f.File, f.Line, f.Level, f.Rule, where, f.Message)
}

// Report is the judged result of a run.
type Report struct {
	Templates int
	// Failures are findings no exception covers; Excepted those an exception covers.
	Failures, Excepted []Finding
	// Unused are exceptions that matched no finding: stale, to be removed.
	Unused []Exception
}

// OK says whether the run passes.
func (r Report) OK() bool { return len(r.Failures) == 0 && len(r.Unused) == 0 }

// Run lints templates with the cfn-lint at path and judges the findings.
func Run(ctx context.Context, path string, templates []Template, exceptions []Exception) (Report, error) {
	findings, err := Lint(ctx, path, templates)
	if err != nil {
		return Report{}, err
	}
	return Judge(findings, exceptions, len(templates)), nil
}

// Lint runs the cfn-lint at path over templates, one call per region.
func Lint(ctx context.Context, path string, templates []Template) ([]Finding, error) {
	byRegion := map[string][]string{}
	for _, t := range templates {
		byRegion[t.Region] = append(byRegion[t.Region], t.Path)
	}
	var findings []Finding
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		fs, err := lint(ctx, path, region, byRegion[region])
		if err != nil {
			return nil, err
		}
		findings = append(findings, fs...)
	}
	return findings, nil
}

// match is cfn-lint's JSON output format, one element per finding.
type match struct {
	Filename string
	Level    string
	Message  string
	Location struct {
		Start struct{ LineNumber int }
		Path  []any
	}
	Rule struct{ Id string }
}

// lint runs one cfn-lint over files. cfn-lint's exit status is a bit set: 2 errors, 4
// warnings, 8 informational findings; anything else (1, 16, 32) is a failure of its own.
func lint(ctx context.Context, path, region string, files []string) ([]Finding, error) {
	args := append([]string{"--format", "json", "--regions", region, "--"}, files...)
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) && exit.ExitCode()&^(2|4|8) == 0 {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("cfn-lint: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var matches []match
	if err := json.Unmarshal(out, &matches); err != nil {
		return nil, fmt.Errorf("cfn-lint output: %w", err)
	}
	types := map[string]map[string]string{} // file -> logical ID -> type
	var findings []Finding
	for _, m := range matches {
		// An enum mismatch lists every allowed value (W3037: all of a service's actions).
		msg, _, cut := strings.Cut(m.Message, " is not one of [")
		if cut {
			msg += " is not one of the allowed values"
		}
		f := Finding{Rule: m.Rule.Id, Level: m.Level, Message: msg, File: m.Filename, Line: m.Location.Start.LineNumber}
		if len(m.Location.Path) >= 2 && m.Location.Path[0] == "Resources" {
			f.Resource = fmt.Sprint(m.Location.Path[1])
			if types[m.Filename] == nil {
				if types[m.Filename], err = resourceTypes(m.Filename); err != nil {
					return nil, err
				}
			}
			f.Type = types[m.Filename][f.Resource]
		}
		findings = append(findings, f)
	}
	return findings, nil
}

func resourceTypes(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var tp struct {
		Resources map[string]struct{ Type string }
	}
	if err := json.Unmarshal(b, &tp); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := map[string]string{}
	for id, r := range tp.Resources {
		out[id] = r.Type
	}
	return out, nil
}

// Judge sorts findings of templates templates into failures and accepted ones, and lists the
// exceptions nothing matched.
func Judge(findings []Finding, exceptions []Exception, templates int) Report {
	r := Report{Templates: templates}
	used := make([]bool, len(exceptions))
	for _, f := range findings {
		i := slices.IndexFunc(exceptions, func(e Exception) bool { return e.Rule == f.Rule && e.Type == f.Type && f.Type != "" })
		if i < 0 {
			r.Failures = append(r.Failures, f)
			continue
		}
		used[i] = true
		r.Excepted = append(r.Excepted, f)
	}
	for i, e := range exceptions {
		if !used[i] {
			r.Unused = append(r.Unused, e)
		}
	}
	for _, fs := range [][]Finding{r.Failures, r.Excepted} {
		sort.Slice(fs, func(i, j int) bool { return fs[i].String() < fs[j].String() })
	}
	return r
}

// WriteReport prints the failures and stale exceptions, and a summary line; it returns an
// error when the report does not pass.
func WriteReport(w io.Writer, r Report, exceptionsPath string, took time.Duration) error {
	for _, f := range r.Failures {
		fmt.Fprintln(w, f)
	}
	for _, e := range r.Unused {
		fmt.Fprintf(w, "%s: exception %s on %s matches no finding any more: remove it\n", exceptionsPath, e.Rule, e.Type)
	}
	fmt.Fprintf(w, "cfnlint: %d templates, %d findings, %d accepted by %s, %d stale exceptions (%v)\n",
		r.Templates, len(r.Failures)+len(r.Excepted), len(r.Excepted), exceptionsPath, len(r.Unused), took.Round(10*time.Millisecond))
	if !r.OK() {
		return fmt.Errorf("%d findings to fix (or to accept in %s with a reason), %d stale exceptions", len(r.Failures), exceptionsPath, len(r.Unused))
	}
	return nil
}
