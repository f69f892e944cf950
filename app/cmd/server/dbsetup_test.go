package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/keelstack/keel/app/internal/config"
	"github.com/keelstack/keel/app/internal/store"
	"github.com/keelstack/keel/app/pgtest"
)

// TestDBSetup runs dbsetup against a local PostgreSQL over verified TLS: twice (idempotent),
// then again once an rds_iam role exists (as on RDS); the role it made can then migrate and
// write in its own schema. A wrong master password fails without printing it.
func TestDBSetup(t *testing.T) {
	pg := pgtest.Require(t, pgtest.Options{TLS: true})
	ctx := context.Background()
	env := map[string]string{"DB_HOST": pg.Host, "DB_PORT": fmt.Sprint(pg.Port), "DB_NAME": "postgres", "DB_USER": "keel_app",
		"DB_MASTER_USER": pgtest.Superuser, "DB_MASTER_PASSWORD": pg.Password, "DB_TLS_CA_FILE": pg.CAFile}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	setup := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, []string{"dbsetup"}, lookup, &out, &out); err != nil {
			t.Fatalf("dbsetup: %v\n%s", err, out.String())
		}
		if strings.Contains(out.String(), pg.Password) {
			t.Fatalf("dbsetup printed the master password:\n%s", out.String())
		}
		return out.String()
	}
	if out := setup(); !strings.Contains(out, "role keel_app: created") || !strings.Contains(out, "rds_iam: no such role (not RDS): skipped") {
		t.Fatalf("first run:\n%s", out)
	}
	if out := setup(); !strings.Contains(out, "role keel_app: exists") {
		t.Fatalf("second run:\n%s", out)
	}
	if err := pg.Exec(ctx, "postgres", "CREATE ROLE rds_iam"); err != nil {
		t.Fatal(err)
	}
	if out := setup(); !strings.Contains(out, "rds_iam: granted to keel_app") {
		t.Fatalf("with rds_iam:\n%s", out)
	}
	var owner string
	if err := pg.Exec(ctx, "postgres", "ALTER ROLE keel_app PASSWORD 'app-pw'"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Target{Database: config.Database{PoolMax: 2, PoolAcquireTimeout: 5e9}, URL: pg.URL("keel_app", "app-pw", "postgres")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("the role cannot migrate its schema: %v", err)
	}
	if _, err := db.CreateNote(ctx, nil, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := pg.QueryRow(ctx, "postgres", "SELECT tableowner || '.' || schemaname FROM pg_tables WHERE tablename = 'notes'", &owner); err != nil || owner != "keel_app.keel_app" {
		t.Fatalf("notes table owner.schema = %q, %v", owner, err)
	}

	env["DB_USER"] = `x"; DROP ROLE postgres; --`
	var bad bytes.Buffer
	if err := run(ctx, []string{"dbsetup"}, lookup, &bad, &bad); err == nil || !strings.Contains(bad.String(), store.ClassConfig) {
		t.Fatalf("a DB_USER that is not a plain identifier: %v\n%s", err, bad.String())
	}
	var roles int
	if err := pg.QueryRow(ctx, "postgres", "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'x%'", &roles); err != nil || roles != 0 {
		t.Fatalf("%d roles made from the bad name, %v", roles, err)
	}
	env["DB_USER"] = "keel_app"

	env["DB_MASTER_PASSWORD"] = "Wr0ng-master-pa55"
	var out bytes.Buffer
	if err := run(ctx, []string{"dbsetup"}, lookup, &out, &out); err == nil || !strings.Contains(out.String(), store.ClassAuth) || strings.Contains(out.String(), "Wr0ng-master-pa55") {
		t.Fatalf("wrong password: %v\n%s", err, out.String())
	}
	delete(env, "DB_MASTER_PASSWORD")
	out.Reset()
	if err := run(ctx, []string{"dbsetup"}, lookup, &out, &out); err == nil || !strings.Contains(out.String(), "DB_MASTER_PASSWORD is not set") {
		t.Fatalf("no password: %v\n%s", err, out.String())
	}
}
