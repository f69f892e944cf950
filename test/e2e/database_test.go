package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keelstack/keel/app/pgtest"
)

// dbPassword is the service role's password: it must never reach the service's output.
const dbPassword = "e2e-Db-pa55word-never-logged"

// notesDatabase starts PostgreSQL with a database and an owning role for the service and
// returns the cluster and the service's DATABASE_URL.
func notesDatabase(t *testing.T) (*pgtest.Server, string) {
	t.Helper()
	pg := pgtest.Require(t, pgtest.Options{})
	ctx := context.Background()
	if err := pg.Exec(ctx, "postgres", "CREATE ROLE keel LOGIN PASSWORD '"+dbPassword+"'"); err != nil {
		t.Fatal(err)
	}
	if err := pg.Exec(ctx, "postgres", "CREATE DATABASE keel OWNER keel"); err != nil {
		t.Fatal(err)
	}
	return pg, pg.URL("keel", dbPassword, "keel")
}

// call sends a request and returns the status, Content-Type and decoded JSON body.
func (p *proc) call(t *testing.T, method, path, contentType, body string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header.Get("Content-Type"), out
}

func noDBSecret(t *testing.T, p *proc) {
	t.Helper()
	if strings.Contains(p.out.String(), dbPassword) {
		t.Errorf("the service's output holds the database password:\n%s", p.out)
	}
}

// TestNotesOnPostgres: the built binary against a real PostgreSQL: migrations at boot, CRUD
// with keyset pages, hostile input, an exhausted pool, the database stopped and back.
func TestNotesOnPostgres(t *testing.T) {
	pg, url := notesDatabase(t)
	v := publishedVault(t, "app/")
	p := start(t, v.env("DATABASE_URL="+url, "DB_POOL_MAX=2", "DB_POOL_ACQUIRE_TIMEOUT=300ms", "DB_QUERY_TIMEOUT=1s"))
	p.waitReady(t)
	t.Cleanup(func() { noDBSecret(t, p) })
	if line := p.logLine(t, "database opened"); line["migrations_applied"] != 2.0 {
		t.Fatalf("database opened = %v", line)
	}

	t.Run("CRUD and keyset pages", func(t *testing.T) {
		var ids []float64
		for i := range 5 {
			code, _, n := p.call(t, "POST", "/api/v1/notes", "application/json", fmt.Sprintf(`{"body":"note %d'); DROP TABLE notes; --"}`, i))
			if code != 201 {
				t.Fatalf("create: %d %v", code, n)
			}
			ids = append(ids, n["id"].(float64))
		}
		if code, _, n := p.call(t, "GET", fmt.Sprintf("/api/v1/notes/%.0f", ids[1]), "", ""); code != 200 || n["body"] != "note 1'); DROP TABLE notes; --" || n["title"] != nil {
			t.Fatalf("get: %d %v", code, n)
		}
		if code, _, n := p.call(t, "POST", "/api/v1/notes", "application/json", `{"title":"t","body":"b"}`); code != 201 || n["title"] != "t" {
			t.Fatalf("create with a title: %d %v", code, n)
		} else {
			p.call(t, "DELETE", fmt.Sprintf("/api/v1/notes/%.0f", n["id"]), "", "")
		}
		var seen []float64
		for next := "/api/v1/notes?limit=2"; next != ""; {
			code, _, page := p.call(t, "GET", next, "", "")
			if code != 200 {
				t.Fatalf("list %s: %d %v", next, code, page)
			}
			for _, n := range page["notes"].([]any) {
				seen = append(seen, n.(map[string]any)["id"].(float64))
			}
			next, _ = page["next"].(string)
		}
		if fmt.Sprint(seen) != fmt.Sprint(ids) {
			t.Fatalf("pages gave %v, want %v", seen, ids)
		}
		path := fmt.Sprintf("/api/v1/notes/%.0f", ids[0])
		if code, _, _ := p.call(t, "DELETE", path, "", ""); code != 204 {
			t.Fatalf("delete: %d", code)
		}
		if code, ct, _ := p.call(t, "GET", path, "", ""); code != 404 || ct != "application/problem+json" {
			t.Fatalf("deleted: %d %s", code, ct)
		}
	})

	t.Run("hostile input", func(t *testing.T) {
		for _, tt := range []struct {
			method, path, ct, body string
			code                   int
		}{
			{"GET", "/api/v1/notes/1%20OR%201=1", "", "", 404},
			{"GET", "/api/v1/notes/-1", "", "", 404},
			{"GET", "/api/v1/notes?after=0%20OR%201=1", "", "", 400},
			{"GET", "/api/v1/notes?limit=100000", "", "", 400},
			{"POST", "/api/v1/notes", "application/json", `{"body":`, 400},
			{"POST", "/api/v1/notes", "application/json", `{"body":"a","id":1}`, 400},
			{"POST", "/api/v1/notes", "application/json", `{"body":"a"}{"body":"b"}`, 400},
			{"POST", "/api/v1/notes", "text/plain", `{"body":"a"}`, 415},
			{"POST", "/api/v1/notes", "application/json", `{"body":"a\u0000b"}`, 422},
			{"POST", "/api/v1/notes", "application/json", `{"body":""}`, 422},
			{"POST", "/api/v1/notes", "application/json", `{"title":"","body":"a"}`, 422},
			{"POST", "/api/v1/notes", "application/json", `{"title":"` + strings.Repeat("t", 201) + `","body":"a"}`, 422},
			{"POST", "/api/v1/notes", "application/json", `{"body":"` + strings.Repeat("x", 10001) + `"}`, 422},
			{"POST", "/api/v1/notes", "application/json", `{"body":"` + strings.Repeat("x", 2<<20) + `"}`, 413},
			{"PUT", "/api/v1/notes/1", "application/json", `{}`, 405},
		} {
			code, ct, body := p.call(t, tt.method, tt.path, tt.ct, tt.body)
			if code != tt.code || ct != "application/problem+json" {
				t.Errorf("%s %.40s %.30s: %d %s %v, want %d problem", tt.method, tt.path, tt.body, code, ct, body, tt.code)
			}
		}
	})

	t.Run("pool exhausted: bounded wait, then 503", func(t *testing.T) {
		locker, err := pgxLock(pg)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		codes := make([]int, 6)
		start := time.Now()
		for i := range codes {
			wg.Add(1)
			go func() { defer wg.Done(); codes[i], _, _ = p.call(t, "GET", "/api/v1/notes", "", "") }()
		}
		wg.Wait()
		took := time.Since(start)
		locker()
		for _, c := range codes {
			if c != 503 {
				t.Fatalf("codes %v, want every request 503 while the table is locked and the pool of 2 is held", codes)
			}
		}
		if took > 3*time.Second {
			t.Fatalf("took %v: the 300ms acquire wait and 1s query deadline should bound it", took)
		}
		if code, _, _ := p.call(t, "GET", "/api/v1/notes", "", ""); code != 200 {
			t.Fatalf("after the lock: %d", code)
		}
	})

	t.Run("database stopped mid-run, then back", func(t *testing.T) {
		if err := pg.Stop(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		code, ct, body := p.call(t, "GET", "/api/v1/notes", "", "")
		if code != 503 || ct != "application/problem+json" || time.Since(start) > time.Second {
			t.Fatalf("with the database stopped: %d %s %v after %v, want a fast 503 problem", code, ct, body, time.Since(start))
		}
		if code, health := p.get("/healthz"); code != 200 || fmt.Sprint(health["database"]) != "map[error:DatabaseUnreachableError status:down]" {
			t.Fatalf("healthz with the database stopped: %d %v (it must stay 200 and say so)", code, health)
		}
		if code, _ := p.get("/readyz"); code != 503 {
			t.Fatalf("readyz with the database stopped: %d", code)
		}
		if err := pg.StartAgain(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if code, _, _ := p.call(t, "GET", "/api/v1/notes", "", ""); code == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not serving 10s after the database came back:\n%s", p.out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	p.signal(t)
	if code := p.exit(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.out)
	}
}

// pgxLock holds an exclusive lock on the notes table from another session until the
// returned function is called.
func pgxLock(pg *pgtest.Server) (func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(done)
		ready <- pg.Exec(ctx, "keel", "BEGIN; LOCK TABLE keel.public.notes IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT")
	}()
	select {
	case err := <-ready:
		cancel()
		return nil, err
	case <-time.After(300 * time.Millisecond):
	}
	return func() { cancel(); <-done }, nil
}

// TestDatabaseDownAtBoot: a database that cannot be reached or refuses the sign-in ends the
// boot with one line naming the class, exit 1, and no password in the output.
func TestDatabaseDownAtBoot(t *testing.T) {
	pg, url := notesDatabase(t)
	for class, u := range map[string]string{
		"DatabaseUnreachableError": strings.Replace(url, fmt.Sprintf(":%d/", pg.Port), ":1/", 1),
		"DatabaseAuthError":        strings.Replace(url, dbPassword, dbPassword+"-wrong", 1),
	} {
		t.Run(class, func(t *testing.T) {
			v := publishedVault(t, "app/")
			p := start(t, v.env("DATABASE_URL="+u, "BOOT_TIMEOUT=3s"))
			if code := p.exit(t, 10*time.Second); code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, p.out)
			}
			if line := p.logLine(t, "boot failed"); line["error"] != class || len(fmt.Sprint(line["fix"])) < 20 {
				t.Fatalf("boot failure line = %v", line)
			}
			noDBSecret(t, p)
		})
	}
}
