package telemetry

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestExportErrorsAreRateLimited: a receiver refusing every batch gives one warning a minute,
// which counts the failures it stands for.
func TestExportErrorsAreRateLimited(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	e := &exportErrors{log: slog.New(slog.NewJSONHandler(&buf, nil)), now: func() time.Time { return now }}
	for range 30 { // a batch every 2 s for a minute
		e.Handle(errors.New("refused"))
		now = now.Add(2 * time.Second)
	}
	e.Handle(errors.New("refused"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"failures_since_last_warning":29`) {
		t.Fatalf("%d warnings for 31 failures over a minute, want 2, the second counting 29:\n%s", len(lines), buf.String())
	}
}
