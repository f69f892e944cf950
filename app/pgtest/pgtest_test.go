package pgtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// tb records what Unavailable asks of a test.
type tb struct {
	testing.TB
	fatal, skip string
}

func (r *tb) Helper()                      {}
func (r *tb) Fatalf(f string, args ...any) { r.fatal = fmt.Sprintf(f, args...) }
func (r *tb) Skipf(f string, args ...any)  { r.skip = fmt.Sprintf(f, args...) }

func TestUnavailableSkipsButFailsOnCI(t *testing.T) {
	missing := errors.New("PostgreSQL is not installed: run scripts/install-tools postgres")
	t.Setenv("CI", "")
	r := &tb{TB: t}
	Unavailable(r, missing)
	if r.fatal != "" || !strings.Contains(r.skip, "scripts/install-tools postgres") {
		t.Fatalf("outside CI: fatal %q, skip %q; want a skip naming the install command", r.fatal, r.skip)
	}
	t.Setenv("CI", "true")
	r = &tb{TB: t}
	Unavailable(r, missing)
	if r.fatal == "" {
		t.Fatalf("under CI=true: skip %q, want a failure", r.skip)
	}
}

// TestServerStopsAndStartsAgain: the cluster answers, is gone after Stop, answers again on
// the same port after StartAgain, and leaves nothing behind after Close.
func TestServerStopsAndStartsAgain(t *testing.T) {
	s := Require(t, Options{})
	ctx := t.Context()
	if err := s.Exec(ctx, "postgres", "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, "postgres", "SELECT 1"); err == nil {
		t.Fatal("answers after Stop")
	}
	if err := s.StartAgain(); err != nil {
		t.Fatal(err)
	}
	var user string
	if err := s.QueryRow(ctx, "postgres", "SELECT current_user", &user); err != nil || user != Superuser {
		t.Fatalf("after StartAgain: %q %v", user, err)
	}
}
