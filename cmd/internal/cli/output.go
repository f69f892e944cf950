package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// JSON writes v as indented JSON: what --json prints on stdout, nothing else.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Table writes rows under a header, columns aligned for people.
func Table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// Progress is the line a waiting command keeps on stderr: rewritten in place on a terminal,
// one line per change elsewhere (logs, CI), so that a script's stdout carries only results.
type Progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  string
	now   func() time.Time
}

// NewProgress starts a progress line on w.
func NewProgress(w io.Writer) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			tty = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	return &Progress{w: w, tty: tty, start: time.Now(), now: time.Now}
}

// Update shows msg with the time waited so far. Off a terminal an unchanged msg prints nothing.
func (p *Progress) Update(msg string) {
	elapsed := p.now().Sub(p.start).Round(time.Second)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s (%s)", msg, elapsed)
		p.last = msg
		return
	}
	if msg != p.last {
		fmt.Fprintf(p.w, "%s (%s)\n", msg, elapsed)
		p.last = msg
	}
}

// Done ends the progress line.
func (p *Progress) Done(msg string) {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, "%s (%s)\n", msg, p.now().Sub(p.start).Round(time.Second))
}
