package store

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
)

// TestQueryHook: every query the store runs is reported by its operation alone (never its SQL
// or arguments), and each one's end carries its error.
func TestQueryHook(t *testing.T) {
	url, _ := database(t)
	var mu sync.Mutex
	var ops []string
	var failed int
	hook := func(ctx context.Context, op string) (context.Context, func(error)) {
		mu.Lock()
		ops = append(ops, op)
		mu.Unlock()
		return ctx, func(err error) {
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}
	}
	s := open(t, Target{Database: settings(), URL: url, Queries: hook})
	ctx := context.Background()
	if _, err := s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	ops = nil
	mu.Unlock()
	n, err := s.CreateNote(ctx, nil, "traced")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Note(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteNote(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"INSERT", "SELECT", "DELETE"} {
		if !slices.Contains(ops, want) {
			t.Errorf("operations %v, want %s among them", ops, want)
		}
	}
	for _, op := range ops {
		if op != operation(op) {
			t.Errorf("operation %q is not a bare keyword", op)
		}
	}
	if failed != 0 {
		t.Errorf("%d queries reported an error", failed)
	}
}

func TestOperation(t *testing.T) {
	for sql, want := range map[string]string{
		"  select id from notes where id = $1": "SELECT",
		"INSERT INTO notes (body) VALUES ($1)": "INSERT",
		"VACUUM notes":                         "OTHER",
		"":                                     "OTHER",
	} {
		if got := operation(sql); got != want {
			t.Errorf("operation(%q) = %q, want %q", sql, got, want)
		}
	}
}
