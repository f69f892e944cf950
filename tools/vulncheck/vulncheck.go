// Package vulncheck runs govulncheck offline, against a vulnerability database built from a
// pinned golang.org/x/vulndb snapshot, and sorts what it finds: vulnerabilities the code
// reaches (a call path to the vulnerable symbol; the check fails) and vulnerabilities it only
// imports or requires (listed).
package vulncheck

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Target is what one govulncheck run scans: packages of the module in Dir (source mode), or
// a built binary (binary mode) when Binary is set.
type Target struct {
	Dir      string
	Patterns []string
	Binary   string
}

func (t Target) String() string {
	if t.Binary != "" {
		return "binary " + filepath.Base(t.Binary)
	}
	return "source " + strings.Join(t.Patterns, " ")
}

// Vuln is one vulnerability found, with the first call path into it when the code reaches it.
type Vuln struct {
	ID, Summary   string
	Module        string // module@version, or stdlib@goX.Y.Z
	Fixed         string // the first fixed version; empty when none is known
	Reachable     bool
	Level         string // "called", "imported" or "required"
	Path          string // for a called one: entry -> ... -> vulnerable symbol
	Package       string
	PositionEntry string // file:line of the call path's entry in the scanned code
}

// Result is one scan's findings.
type Result struct {
	Target       Target
	GoVersion    string
	DBModified   time.Time
	Called, Seen []Vuln // Seen: imported or required, never called
}

// Scan runs the govulncheck at bin over target against the database in dir db, with env
// added to the environment (GOTOOLCHAIN, GOWORK, ...).
func Scan(ctx context.Context, bin, db string, target Target, env []string) (Result, error) {
	args := []string{"-db", "file://" + db, "-format", "json"}
	if target.Binary != "" {
		args = append(args, "-mode", "binary", target.Binary)
	} else {
		args = append(args, target.Patterns...)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = target.Dir
	cmd.Env = append(cmd.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("govulncheck %s in %s: %v: %s", target, target.Dir, err, strings.TrimSpace(stderr.String()))
	}
	r, err := parse(bytes.NewReader(out))
	r.Target = target
	if target.Binary != "" { // binary mode reports no Go version: the binary's own is the one scanned
		if info, berr := buildinfo.ReadFile(target.Binary); berr == nil {
			r.GoVersion = info.GoVersion
		}
	}
	return r, err
}

// message is one object of govulncheck's JSON stream (golang.org/x/vuln, internal/govulncheck).
type message struct {
	Config *struct {
		GoVersion      string     `json:"go_version"`
		DBLastModified *time.Time `json:"db_last_modified"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV   string  `json:"osv"`
		Fixed string  `json:"fixed_version"`
		Trace []frame `json:"trace"`
	} `json:"finding"`
}

// frame is one step of a finding's trace; the first is the vulnerable module, package or
// symbol, the last (for a called one) the scanned code's entry.
type frame struct {
	Module, Version, Package, Function, Receiver string
	Position                                     *struct {
		Filename string
		Line     int
	}
}

func (f frame) symbol() string {
	name := f.Function
	if f.Receiver != "" {
		name = strings.TrimPrefix(f.Receiver, "*") + "." + name
	}
	return f.Package + "." + name
}

// parse reads the JSON stream. govulncheck reports each vulnerability at the levels it
// reaches: the module is required, a package of it imported, a symbol called. The deepest
// level wins.
func parse(r io.Reader) (Result, error) {
	var res Result
	summaries := map[string]string{}
	byID := map[string]*Vuln{}
	dec := json.NewDecoder(r)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return res, fmt.Errorf("govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			res.GoVersion = m.Config.GoVersion
			if m.Config.DBLastModified != nil {
				res.DBModified = *m.Config.DBLastModified
			}
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			record(byID, m.Finding.OSV, m.Finding.Fixed, m.Finding.Trace)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		v := byID[id]
		v.Summary = summaries[id]
		if v.Reachable {
			res.Called = append(res.Called, *v)
		} else {
			res.Seen = append(res.Seen, *v)
		}
	}
	return res, nil
}

func record(byID map[string]*Vuln, id, fixed string, trace []frame) {
	sink := trace[0]
	v := &Vuln{ID: id, Module: sink.Module + "@" + sink.Version, Fixed: fixed, Level: "required", Package: sink.Package}
	switch {
	case sink.Function != "":
		v.Level, v.Reachable = "called", true
		steps := make([]string, 0, len(trace))
		for i := len(trace) - 1; i >= 0; i-- {
			steps = append(steps, trace[i].symbol())
		}
		v.Path = strings.Join(steps, " -> ")
		if p := trace[len(trace)-1].Position; p != nil {
			v.PositionEntry = fmt.Sprintf("%s:%d", p.Filename, p.Line)
		}
	case sink.Package != "":
		v.Level = "imported"
	}
	if old, ok := byID[id]; ok && rank(old.Level) >= rank(v.Level) {
		return
	}
	byID[id] = v
}

func rank(level string) int { return slices.Index([]string{"required", "imported", "called"}, level) }
