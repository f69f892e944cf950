package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/pgtest"
)

// awsSecretKey signs the IAM tokens in these tests: it must never reach the output, nor a token.
const awsSecretKey = "e2eSecretAccessKeyThatMustNotLeak0000000"

// TestManagedDatabase runs the built binary the way a stage with a database does: dbsetup with
// the master credential, then serve with DB_* and DB_AUTH=iam, a token per connection signed
// with the (here static) AWS credentials, TLS verified against DB_TLS_CA_FILE. Only RDS can
// check a token, so the local server trusts the role over TLS only (and rejects it without);
// the pinned RDS bundle refusing the local server and missing credentials fail the boot with
// one line each.
func TestManagedDatabase(t *testing.T) {
	pg := pgtest.Require(t, pgtest.Options{TLS: true, HBA: []string{
		"hostssl all keel_iam 127.0.0.1/32 trust",
		"host all keel_iam 127.0.0.1/32 reject",
		"hostssl all keel_later 127.0.0.1/32 trust",
	}})
	if err := pg.Exec(context.Background(), "postgres", "CREATE DATABASE keel"); err != nil {
		t.Fatal(err)
	}
	db := []string{"DB_HOST=" + pg.Host, fmt.Sprintf("DB_PORT=%d", pg.Port), "DB_NAME=keel", "DB_USER=keel_iam"}
	setup := exec.Command(serverBin, "dbsetup")
	setup.Env = append(db, "DB_MASTER_USER="+pgtest.Superuser, "DB_MASTER_PASSWORD="+pg.Password, "DB_TLS_CA_FILE="+pg.CAFile)
	if out, err := setup.CombinedOutput(); err != nil || strings.Contains(string(out), pg.Password) {
		t.Fatalf("dbsetup: %v\n%s", err, out)
	}

	managed := append(db, "DB_REGION=eu-west-1", "DB_AUTH=iam", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent")
	creds := []string{"AWS_ACCESS_KEY_ID=AKIAE2EEXAMPLE000000", "AWS_SECRET_ACCESS_KEY=" + awsSecretKey}
	v := publishedVault(t, "app/")
	noLeak := func(t *testing.T, p *proc) {
		t.Helper()
		for _, s := range []string{awsSecretKey, "X-Amz-Signature", pg.Password} {
			if strings.Contains(p.out.String(), s) {
				t.Errorf("the output holds %.16s…:\n%s", s, p.out)
			}
		}
	}

	t.Run("serves", func(t *testing.T) {
		p := start(t, v.env(append(append(managed, creds...), "DB_TLS_CA_FILE="+pg.CAFile)...))
		p.waitReady(t)
		if line := p.logLine(t, "database opened"); line["managed"] != true {
			t.Fatalf("database opened = %v", line)
		}
		code, _, n := p.call(t, "POST", "/api/v1/notes", "application/json", `{"body":"managed"}`)
		if code != 201 {
			t.Fatalf("create: %d %v", code, n)
		}
		var where string
		if err := pg.QueryRow(context.Background(), "keel", "SELECT schemaname || '/' || tableowner FROM pg_tables WHERE tablename = 'notes'", &where); err != nil || where != "keel_iam/keel_iam" {
			t.Fatalf("the notes table is in %q, want the role's own schema (%v)", where, err)
		}
		noLeak(t, p)
	})
	// A stage's first deploy starts its tasks before make db-setup can run: they serve without
	// the database (health 200, saying so; notes 503) and take it once the role exists.
	t.Run("before db-setup", func(t *testing.T) {
		later := append(slices.Clone(managed), "DB_USER=keel_later", "DB_SETUP_RETRY=300ms", "DB_TLS_CA_FILE="+pg.CAFile)
		p := start(t, v.env(append(later, creds...)...))
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(p.out.String(), `"msg":"ready"`) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if line := p.logLine(t, "database not set up yet: serving without it until it is"); line["error"] != "DatabaseAuthError" {
			t.Fatalf("waiting line = %v", line)
		}
		code, health := p.get("/healthz")
		if db, _ := health["database"].(map[string]any); code != 200 || db["status"] != "down" || db["error"] != "DatabaseAuthError" {
			t.Fatalf("/healthz = %d %v, want 200 saying the database is down", code, health)
		}
		if code, _ := p.get("/readyz"); code != 503 {
			t.Errorf("/readyz = %d, want 503 without the database", code)
		}
		if code, _, n := p.call(t, "POST", "/api/v1/notes", "application/json", `{"body":"early"}`); code != 503 {
			t.Fatalf("a note before the setup: %d %v, want 503", code, n)
		}
		setup := exec.Command(serverBin, "dbsetup")
		setup.Env = append(slices.Clone(db[:3]), "DB_USER=keel_later", "DB_MASTER_USER="+pgtest.Superuser, "DB_MASTER_PASSWORD="+pg.Password, "DB_TLS_CA_FILE="+pg.CAFile)
		if out, err := setup.CombinedOutput(); err != nil {
			t.Fatalf("dbsetup: %v\n%s", err, out)
		}
		for !strings.Contains(p.out.String(), "database set up: serving with it") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if code, _, n := p.call(t, "POST", "/api/v1/notes", "application/json", `{"body":"after setup"}`); code != 201 {
			t.Fatalf("a note after the setup: %d %v\n%s", code, n, p.out)
		}
		noLeak(t, p)
	})
	for class, env := range map[string][]string{
		"DatabaseTLSError":         append(managed, creds...), // the pinned RDS bundle did not sign the local server
		"DatabaseCredentialsError": append(managed, "DB_TLS_CA_FILE="+pg.CAFile),
	} {
		t.Run(class, func(t *testing.T) {
			p := start(t, v.env(append(env, "BOOT_TIMEOUT=5s")...))
			if code := p.exit(t, 15*time.Second); code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, p.out)
			}
			if line := p.logLine(t, "boot failed"); line["error"] != class {
				t.Fatalf("boot failure line = %v, want %s", line, class)
			}
			noLeak(t, p)
		})
	}
}
