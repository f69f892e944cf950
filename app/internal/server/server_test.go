package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keelstack/keel/app/internal/config"
	"github.com/keelstack/keel/app/pgtest"
	"github.com/keelstack/keel/app/vsync"
)

// vault is an opened vault holding DATABASE_URL.
type vault struct{ url string }

func (v vault) GetEnv(k string) (string, bool) { return v.url, k == databaseURLKey }
func (v vault) EnvSource(string) vsync.Source  { return vsync.SourceVault }
func (v vault) Generation() int                { return 1 }
func (v vault) Close() error                   { return nil }
func (v vault) String() string                 { return "<vsync:redacted gen=1 env=test>" }
func (v vault) RemoteGeneration(context.Context) (int64, error) {
	return 1, nil
}

// running is Run in a goroutine on a free port.
type running struct {
	url  string
	done chan error
	stop context.CancelFunc
}

func runServer(t *testing.T, dbURL string) *running {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	env := map[string]string{"PORT": strconv.Itoa(port), "LISTEN_HOST": "127.0.0.1", "DB_POOL_MAX": "2", "DB_POOL_ACQUIRE_TIMEOUT": "300ms", "DB_QUERY_TIMEOUT": "3s", "SHUTDOWN_BUDGET": "5s"}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{url: fmt.Sprintf("http://127.0.0.1:%d", port), done: make(chan error, 1), stop: cancel}
	go func() {
		r.done <- Run(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), func(context.Context) (OpenedVault, error) { return vault{dbURL}, nil }, nil)
	}()
	for deadline := time.Now().Add(10 * time.Second); r.status(t, "/readyz") != 200; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not ready after 10s")
		}
	}
	return r
}

func (r *running) status(t *testing.T, path string) int {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(r.url + path)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func database(t *testing.T) (*pgtest.Server, string) {
	t.Helper()
	pg := pgtest.Require(t, pgtest.Options{})
	for _, sql := range []string{"CREATE ROLE app LOGIN PASSWORD 'app-pw'", "CREATE DATABASE app OWNER app"} {
		if err := pg.Exec(context.Background(), "postgres", sql); err != nil {
			t.Fatal(err)
		}
	}
	return pg, pg.URL("app", "app-pw", "app")
}

// TestDatabaseOutageLeaksNoGoroutine: requests during an outage fail fast and the process
// returns to the goroutines it had before once the database is back.
func TestDatabaseOutageLeaksNoGoroutine(t *testing.T) {
	pg, url := database(t)
	r := runServer(t, url)
	for range 5 {
		r.status(t, "/api/v1/notes")
	}
	before := runtime.NumGoroutine()
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if code := r.status(t, "/api/v1/notes"); code != 503 {
			t.Fatalf("with the database stopped: %d, want 503", code)
		}
	}
	if err := pg.StartAgain(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); r.status(t, "/api/v1/notes") != 200; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not serving 10s after the database came back")
		}
	}
	var after int
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if after = runtime.NumGoroutine(); after <= before+2 {
			break
		}
	}
	if after > before+2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before the outage, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	r.stop()
	if err := <-r.done; err != nil {
		t.Fatal(err)
	}
}

// TestDrainClosesThePoolAfterInFlightRequests: a request waiting on the database when the
// drain begins completes with 200, and only then are the pool's connections closed.
func TestDrainClosesThePoolAfterInFlightRequests(t *testing.T) {
	pg, url := database(t)
	r := runServer(t, url)
	ctx, unlock := context.WithCancel(context.Background())
	locked := make(chan struct{})
	go func() {
		conn, err := pgx.Connect(ctx, pg.SuperuserURL("app"))
		if err != nil {
			close(locked)
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(ctx, "BEGIN; LOCK TABLE notes IN ACCESS EXCLUSIVE MODE")
		close(locked)
		<-ctx.Done()
	}()
	<-locked
	inFlight := make(chan int, 1)
	go func() { inFlight <- r.status(t, "/api/v1/notes") }()
	time.Sleep(300 * time.Millisecond) // the request is waiting on the lock
	r.stop()
	time.Sleep(300 * time.Millisecond)
	if n := keelConnections(t, pg); n == 0 {
		t.Fatal("the pool closed while a request was still in flight")
	}
	unlock()
	if code := <-inFlight; code != 200 {
		t.Fatalf("the in-flight request: %d, want 200", code)
	}
	if err := <-r.done; err != nil {
		t.Fatal(err)
	}
	if n := keelConnections(t, pg); n != 0 {
		t.Fatalf("%d of the service's connections remain after the drain", n)
	}
}

func keelConnections(t *testing.T, pg *pgtest.Server) int {
	t.Helper()
	var n int
	if err := pg.QueryRow(context.Background(), "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'keel'", &n); err != nil {
		t.Fatal(err)
	}
	return n
}
