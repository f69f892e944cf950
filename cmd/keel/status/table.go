package status

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/keelstack/keel/cmd/internal/cli"
)

// write prints the status for people: a few headed sections, tables where there are rows.
func (s *Status) write(w io.Writer) error {
	fmt.Fprintf(w, "stage %s (%s), stack %s: %s since %s\n", s.Stage, s.Region, s.Stack, s.StackStatus, stamp(s.StackUpdated))
	if s.LastEvent != "" {
		fmt.Fprintf(w, "  last event: %s\n", s.LastEvent)
	}
	if s.URL != "" {
		fmt.Fprintf(w, "  url: %s\n", s.URL)
	}
	dash := s.Dashboard
	if dash == "" {
		dash = "none (the stack has no dashboard output)"
	}
	fmt.Fprintf(w, "  dashboard: %s\n", dash)
	fmt.Fprintf(w, "\nservice %s, %s: %d running, %d pending of %d desired\n", s.Service, s.Strategy, s.Running, s.Pending, s.Desired)
	rows := [][]string{}
	for _, d := range s.Deployments {
		rows = append(rows, []string{d.Status, d.Rollout, d.TaskDefinition, d.Image, fmt.Sprintf("%d/%d", d.Running, d.Desired), fmt.Sprint(d.Pending), fmt.Sprint(d.Failed), stamp(d.Created)})
	}
	if err := cli.Table(w, []string{"  DEPLOYMENT", "ROLLOUT", "TASK DEFINITION", "IMAGE", "RUNNING", "PENDING", "FAILED", "CREATED"}, indent(rows)); err != nil {
		return err
	}
	for _, p := range s.InProgress {
		fmt.Fprintf(w, "  in progress: %s %s, phase %s\n", p.Strategy, p.Status, orNone(p.Stage))
	}
	if len(s.Traffic) > 0 {
		shares := []string{}
		for _, t := range s.Traffic {
			shares = append(shares, fmt.Sprintf("%s %d", t.TargetGroup, t.Weight))
		}
		fmt.Fprintf(w, "  traffic (listener rule weights): %s\n", strings.Join(shares, ", "))
	}
	fmt.Fprintln(w)
	rows = nil
	for _, t := range s.Targets {
		rows = append(rows, []string{t.TargetGroup, t.ID, t.State, t.Reason})
	}
	if err := cli.Table(w, []string{"TARGET GROUP", "TARGET", "HEALTH", "REASON"}, rows); err != nil {
		return err
	}
	if len(s.StoppedTasks) > 0 {
		fmt.Fprintln(w)
		rows = nil
		for _, t := range s.StoppedTasks {
			rows = append(rows, []string{t.Task, t.TaskDefinition, stamp(t.Stopped), t.Reason})
		}
		if err := cli.Table(w, []string{"STOPPED TASK", "TASK DEFINITION", "STOPPED", "REASON"}, rows); err != nil {
			return err
		}
	}
	if s.Vault != nil {
		fmt.Fprintf(w, "\nvault: generation %s published, %s served: %s\n", published(s.Vault), served(s.Vault), s.Vault.verdict())
		if s.Vault.Note != "" {
			fmt.Fprintf(w, "  (%s)\n", s.Vault.Note)
		}
	}
	fmt.Fprintln(w)
	if len(s.AlarmsInAlarm) == 0 {
		fmt.Fprintln(w, "alarms: none in ALARM")
		return nil
	}
	rows = nil
	for _, a := range s.AlarmsInAlarm {
		rows = append(rows, []string{a.Name, stamp(a.Since), a.Reason})
	}
	return cli.Table(w, []string{"IN ALARM", "SINCE", "REASON"}, rows)
}

func indent(rows [][]string) [][]string {
	for _, r := range rows {
		r[0] = "  " + r[0]
	}
	return rows
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func published(v *Vault) string {
	if v.Published == nil {
		return "?"
	}
	return fmt.Sprint(*v.Published)
}

func served(v *Vault) string {
	if len(v.Served) == 0 {
		return "?"
	}
	parts := make([]string, len(v.Served))
	for i, g := range v.Served {
		parts[i] = fmt.Sprint(g)
	}
	return strings.Join(parts, ", ")
}
