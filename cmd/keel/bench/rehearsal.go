package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keelstack/keel/tools/rehearsal"
)

// devRehearsalTarget is "the rehearsal of dev runs in real time in about a minute" (issue 14),
// read as at most a minute and a half.
const devRehearsalTarget = 90

// rehearseDev runs `make rehearse STAGE=dev` as a user does (real time, scenario good) on
// the assembly the synth figures wrote, once: the run is mostly ECS's waits, so its spread
// is small and a median of several would cost minutes.
func (b *bench) rehearseDev() error {
	bin, err := os.Executable() // keel itself: bench is `keel bench`
	if err != nil {
		return err
	}
	out := filepath.Join(b.work, "rehearsal-dev.json")
	if _, _, err := b.timed(".", nil, bin, "rehearse", "--stage", "dev", "--assembly", b.lastAssembly, "--versitygw", versitygwBinary, "--report", out); err != nil {
		return fmt.Errorf("make rehearse STAGE=dev: %w", err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	var r struct {
		Verdict  string               `json:"verdict"`
		Duration int64                `json:"duration_ms"`
		Floor    int64                `json:"floor_ms"`
		Margin   int64                `json:"margin_ms"`
		Total    rehearsal.PhaseStats `json:"total"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("the rehearsal's report %s: %w", out, err)
	}
	d := (time.Duration(r.Duration) * time.Millisecond).Seconds()
	t, met := target(d, devRehearsalTarget, true, fmt.Sprintf("<= %d s (about a minute)", devRehearsalTarget))
	b.report.add(figure{Name: "deploy rehearsal of dev, real time", Value: d, Unit: "s", Target: t, Met: met,
		Note: fmt.Sprintf("%s; floor %v + margin %v; %d requests, %d failed; 1 run", r.Verdict,
			time.Duration(r.Floor)*time.Millisecond, time.Duration(r.Margin)*time.Millisecond, r.Total.Sent, r.Total.Failed)})
	return nil
}
