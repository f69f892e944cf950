// Command bench is `make bench`: it measures, on this machine, what the project claims about
// speed and size, prints one table and writes it as JSON under bench/results/. Every figure is
// the median of several runs in this one session; targets are reported, not asserted.
package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// figure is one line of the table.
type figure struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	Met    *bool   `json:"met,omitempty"`
	Note   string  `json:"note,omitempty"`
}

type report struct {
	Machine map[string]string `json:"machine"`
	Runs    int               `json:"runs"`
	Figures []figure          `json:"figures"`
}

func (r *report) add(f figure) { r.Figures = append(r.Figures, f) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	runs := fs.Int("runs", 3, "runs per figure (the median is reported)")
	loadFor := fs.Duration("load", 10*time.Second, "duration of each load run")
	out := fs.String("out", "bench/results", "directory for the JSON result")
	only := fs.String("only", "", "run only the steps whose name contains this (such as capacity, database or telemetry)")
	overloadFor := fs.Duration("overload", 30*time.Second, "duration of each overload run (capacity step)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "keel-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	b := &bench{ctx: ctx, work: work, runs: *runs, load: *loadFor, overloadFor: *overloadFor, log: stderr, report: &report{Machine: machine(), Runs: *runs}}
	for _, step := range []struct {
		name string
		fn   func() error
	}{
		{"keel start-up", b.startup},
		{"synth", b.synth},
		{"infra tests", b.infraTests},
		{"binary and image size", b.sizes},
		{"service boot and load", b.service},
		{"deploy time floor", b.deployFloor},
		{"deploy rehearsal of dev", b.rehearseDev},
		{"capacity", b.capacity},
		{"database", b.database},
		{"telemetry overhead", b.telemetry},
	} {
		if !strings.Contains(step.name, *only) {
			continue
		}
		fmt.Fprintf(stderr, "bench: %s...\n", step.name)
		if err := step.fn(); err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}
	printTable(stdout, b.report)
	return writeJSON(*out, b.report, stdout)
}

// bench carries what every measurement needs.
type bench struct {
	ctx    context.Context
	work   string
	runs   int
	load   time.Duration
	log    io.Writer
	report *report
	// lastAssembly is the most recent synthesized assembly, read by the deploy floor and the
	// dev rehearsal.
	lastAssembly string

	// overloadFor is each overload run's duration (capacity.go).
	overloadFor time.Duration
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// target records whether value meets a bound (atMost or, if false, at least).
func target(value, bound float64, atMost bool, text string) (string, *bool) {
	met := value <= bound
	if !atMost {
		met = value >= bound
	}
	return text, &met
}

func printTable(w io.Writer, r *report) {
	fmt.Fprintf(w, "keel benchmarks: %s, %s cores, %s, %s; median of %d runs\n\n",
		r.Machine["cpu"], r.Machine["cores"], r.Machine["memory"], r.Machine["go"], r.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\ttarget\t\tnote")
	for _, f := range r.Figures {
		verdict := ""
		if f.Met != nil {
			verdict = map[bool]string{true: "met", false: "MISSED"}[*f.Met]
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\n", f.Name, format(f.Value), f.Unit, f.Target, verdict, f.Note)
	}
	tw.Flush()
}

func format(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func writeJSON(dir string, r *report, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, time.Now().UTC().Format("20060102-150405")+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten to %s\n", path)
	return nil
}

// machine describes where the figures were taken.
func machine() map[string]string {
	m := map[string]string{"go": runtime.Version(), "cores": fmt.Sprint(runtime.NumCPU()), "os": runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb); err == nil {
			m["memory"] = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	return m
}
