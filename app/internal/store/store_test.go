package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

func TestNotesCRUDAndKeyset(t *testing.T) {
	url, _ := database(t)
	s := open(t, Target{Database: settings(), URL: url})
	ctx := context.Background()
	if _, err := s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 5 {
		n, err := s.CreateNote(ctx, nil, fmt.Sprintf("note %d '; DROP TABLE notes; --", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	got, err := s.Note(ctx, ids[2])
	if err != nil || got.Body != "note 2 '; DROP TABLE notes; --" || got.Title != nil {
		t.Fatalf("Note = %+v, %v", got, err)
	}
	title := "a title"
	titled, err := s.CreateNote(ctx, &title, "with a title")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Note(ctx, titled.ID); err != nil || got.Title == nil || *got.Title != title {
		t.Fatalf("titled note = %+v, %v", got, err)
	}
	if err := s.DeleteNote(ctx, titled.ID); err != nil {
		t.Fatal(err)
	}
	var seen []int64
	for after := int64(0); ; {
		page, err := s.Notes(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, n := range page {
			seen = append(seen, n.ID)
		}
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Fatalf("pages gave %v, want %v", seen, ids)
	}
	if err := s.DeleteNote(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteNote(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Note(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted note: %v", err)
	}
}

// TestConcurrentMigrators: two migrators at once on one database (two tasks booting, two
// deploys): the advisory lock makes one wait, and the migration runs exactly once.
func TestConcurrentMigrators(t *testing.T) {
	url, _ := database(t)
	a, b := open(t, Target{Database: settings(), URL: url}), open(t, Target{Database: settings(), URL: url})
	var wg sync.WaitGroup
	applied := make([][]Migration, 2)
	errs := make([]error, 2)
	for i, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = migrate(context.Background(), s, slowMigrations, slog.New(slog.NewTextHandler(io.Discard, nil)))
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("migrators failed: %v / %v", errs[0], errs[1])
	}
	if n := len(applied[0]) + len(applied[1]); n != 1 {
		t.Fatalf("the migration ran %d times (%v), want once", n, applied)
	}
	var rows int
	if err := a.queryRow(context.Background(), "SELECT count(*) FROM goose_db_version WHERE version_id = 1", nil, &rows); err != nil || rows != 1 {
		t.Fatalf("version rows = %d, %v", rows, err)
	}
}

// TestMigrationHoldsTheAdvisoryLock: while a migration runs, the session holds the advisory
// lock every keel migrator takes (what makes the other one wait above).
func TestMigrationHoldsTheAdvisoryLock(t *testing.T) {
	url, _ := database(t)
	a, watcher := open(t, Target{Database: settings(), URL: url}), open(t, Target{Database: settings(), URL: url})
	done := make(chan error, 1)
	go func() {
		_, err := migrate(context.Background(), a, slowMigrations, slog.New(slog.NewTextHandler(io.Discard, nil)))
		done <- err
	}()
	held := false
	for deadline := time.Now().Add(900 * time.Millisecond); !held && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		err := watcher.queryRow(context.Background(), `SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1`, []any{migrationLockID}, &held)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !held {
		t.Fatalf("no advisory lock %d held while the migration ran", migrationLockID)
	}
}

func TestPoolExhaustionIsBounded(t *testing.T) {
	url, _ := database(t)
	db := settings()
	db.PoolMax, db.PoolAcquireTimeout = 1, 300*time.Millisecond
	s := open(t, Target{Database: db, URL: url})
	hold := make(chan error, 1)
	go func() { hold <- s.exec(context.Background(), "SELECT pg_sleep(2)") }()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	err := s.Ping(context.Background())
	if took := time.Since(start); !errors.Is(err, ErrUnavailable) || Class(err) != ClassUnreachable || took > time.Second {
		t.Fatalf("ping on an exhausted pool: %v after %v, want ErrUnavailable within the 300ms acquire timeout", err, took)
	}
	if err := <-hold; err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Max != 1 || st.CanceledAcquires != 1 || st.Acquires < 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestManagedModeTLSAndTokens: the managed mode signs each new connection in with a fresh
// token, verifies the server against the CA it is given, and refuses a server the pinned RDS
// bundle did not sign.
func TestManagedModeTLSAndTokens(t *testing.T) {
	_, name := database(t)
	db := settings()
	db.Host, db.Port, db.Name, db.User, db.Region, db.IAM, db.CAFile = pg.Host, pg.Port, name, name, "eu-west-1", true, pg.CAFile
	var tokens atomic.Int32
	source := func(context.Context) (string, error) { tokens.Add(1); return "pw-" + name, nil }
	s := open(t, Target{Database: db, Tokens: source})
	var ssl bool
	if err := s.queryRow(context.Background(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", nil, &ssl); err != nil || !ssl {
		t.Fatalf("ssl = %v, %v", ssl, err)
	}
	var wg sync.WaitGroup
	for range 3 { // three connections at once: three tokens
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.exec(context.Background(), "SELECT pg_sleep(0.2)") }()
	}
	wg.Wait()
	if n := tokens.Load(); n < 3 {
		t.Fatalf("%d tokens for at least 3 connections", n)
	}

	db.CAFile = "" // the pinned RDS bundle did not sign this server
	_, err := Open(context.Background(), Target{Database: db, Tokens: source})
	if Class(err) != ClassTLS {
		t.Fatalf("against the pinned bundle: %v, want %s", err, ClassTLS)
	}
}

func TestIAMTokenIsSignedForTheUser(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret-key-example", "")
	token, err := iamTokens("db.example:5432", "eu-west-1", "keel", creds)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"db.example:5432?", "Action=connect", "DBUser=keel", "X-Amz-Signature=", "X-Amz-Expires=900"} {
		if !strings.Contains(token, want) {
			t.Errorf("token lacks %q: %s", want, token)
		}
	}
}

// TestErrorsCarryNoSecret provokes each kind of failure with a password in the DSN and checks
// the error's text.
func TestErrorsCarryNoSecret(t *testing.T) {
	url, name := database(t)
	const secret = "Sup3r-s3cret-pa55"
	for _, tt := range []struct {
		url, class string
	}{
		{strings.Replace(url, "pw-"+name, secret, 1), ClassAuth},
		{pg.URL(name, secret, "no_such_db"), ClassAuth},
		{strings.Replace(pg.URL(name, secret, name), fmt.Sprint(pg.Port), "1", 1), ClassUnreachable},
		{"postgres://" + name + ":" + secret + "@127.0.0.1:" + fmt.Sprint(pg.Port) + "/" + name + "?sslmode=bogus", ClassConfig},
		{"host=127.0.0.1 password=" + secret + " port=notaport", ClassConfig},
	} {
		_, err := Open(context.Background(), Target{Database: settings(), URL: tt.url})
		if err == nil || Class(err) != tt.class || strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), secret) {
			t.Errorf("%s: %v (class %q), want %s without the password", tt.class, err, Class(err), tt.class)
		}
	}
}

func TestFailedMigrationIsClassified(t *testing.T) {
	url, _ := database(t)
	s := open(t, Target{Database: settings(), URL: url})
	_, err := migrate(context.Background(), s, badMigrations, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if Class(err) != ClassMigration || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("%v (class %q), want %s naming the problem", err, Class(err), ClassMigration)
	}
}

// TestTokensNeverInErrors: a managed sign-in refused with a token-shaped password, and an
// error that quotes a token, carry no token.
func TestTokensNeverInErrors(t *testing.T) {
	_, name := database(t)
	const token = "db.example:5432?Action=connect&DBUser=keel&X-Amz-Credential=AKID%2F20261207&X-Amz-Signature=abcdef0123456789"
	db := settings()
	db.Host, db.Port, db.Name, db.User, db.Region, db.IAM, db.CAFile = pg.Host, pg.Port, name, name, "eu-west-1", true, pg.CAFile
	_, err := Open(context.Background(), Target{Database: db, Tokens: func(context.Context) (string, error) { return token, nil }})
	if Class(err) != ClassAuth || strings.Contains(err.Error(), "X-Amz-Signature") {
		t.Fatalf("%v, want %s without the token", err, ClassAuth)
	}
	if got := wrap(errors.New("dial: password was " + token + " here")).Error(); strings.Contains(got, "abcdef0123456789") || !strings.Contains(got, "[redacted token]") {
		t.Fatalf("scrubbed: %s", got)
	}
}
