package vulncheck

import (
	"fmt"
	"io"
	"strings"
)

// Snapshot names the database a scan used: the golang.org/x/vulndb version it was built from
// and the snapshot's date.
type Snapshot struct {
	Version, Date string
}

// WriteReport prints each scan's called vulnerabilities (with the call path and the fix) and
// lists the ones only imported or required; it returns an error naming the called ones.
func WriteReport(w io.Writer, snap Snapshot, results []Result) error {
	var called []string
	for _, r := range results {
		fmt.Fprintf(w, "vulncheck: %s (%s): %d called, %d imported or required only\n", r.Target, r.GoVersion, len(r.Called), len(r.Seen))
		for _, v := range r.Called {
			called = append(called, v.ID)
			fmt.Fprintf(w, "  CALLED %s %s: %s\n    %s\n    at %s: %s; fix: %s\n", v.ID, v.Module, v.Summary, v.Path, v.PositionEntry, fixedIn(v), upgrade(v))
		}
		for _, v := range r.Seen {
			fmt.Fprintf(w, "  not called: %s %s (%s %s): %s; %s\n", v.ID, v.Module, v.Level, orModule(v), v.Summary, fixedIn(v))
		}
	}
	fmt.Fprintf(w, "vulncheck: database golang.org/x/vulndb@%s, snapshot of %s\n", snap.Version, snap.Date)
	if len(called) > 0 {
		return fmt.Errorf("the code calls %d vulnerable symbols (%s): upgrade as each line says, or move the snapshot forward if it is stale (make vulndb-bump)", len(called), strings.Join(dedupe(called), ", "))
	}
	return nil
}

func fixedIn(v Vuln) string {
	if v.Fixed == "" {
		return "no fixed version known"
	}
	return "fixed in " + v.Fixed
}

func upgrade(v Vuln) string {
	mod, _, _ := strings.Cut(v.Module, "@")
	switch {
	case v.Fixed == "":
		return "no fixed version: stop calling it or replace " + mod
	case mod == "stdlib":
		return "build with Go " + v.Fixed + " or newer (app/go.mod's toolchain line)"
	default:
		return "go get " + mod + "@" + v.Fixed + " in the module that requires it"
	}
}

func orModule(v Vuln) string {
	if v.Level == "imported" {
		return v.Package
	}
	mod, _, _ := strings.Cut(v.Module, "@")
	return mod
}

func dedupe(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
