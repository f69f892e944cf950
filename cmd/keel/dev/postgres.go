package dev

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/keelstack/keel/app/pgtest"
)

// devDatabase is the service's database name and role, as dbsetup creates them on RDS.
const devDatabase = "keel"

// startPostgres runs a local PostgreSQL (app/pgtest: unprivileged, temporary, loopback, TLS
// with its own CA), sets it up the way a stage's is (the database, then `server dbsetup` with
// the master credential), and returns the service's DATABASE_URL: a password for the role,
// set locally since there is no IAM here, and TLS verified against the local CA.
func startPostgres(ctx context.Context, serverBin string, stderr io.Writer) (*pgtest.Server, string, error) {
	pg, err := pgtest.Start(pgtest.Options{TLS: true})
	if err != nil {
		return nil, "", err
	}
	if err := setupDatabase(ctx, pg, serverBin, stderr); err != nil {
		pg.Close()
		return nil, "", err
	}
	password := random()
	if err := pg.Exec(ctx, devDatabase, fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", devDatabase, password)); err != nil {
		pg.Close()
		return nil, "", fmt.Errorf("set the local role's password: %w", err)
	}
	u, _ := url.Parse(pg.URL(devDatabase, password, devDatabase))
	u.RawQuery = url.Values{"sslmode": {"verify-full"}, "sslrootcert": {pg.CAFile}}.Encode()
	return pg, u.String(), nil
}

// setupDatabase creates the database (RDS creates it with the instance) and runs dbsetup as the
// one-shot task would, with the master credential in its environment only.
func setupDatabase(ctx context.Context, pg *pgtest.Server, serverBin string, stderr io.Writer) error {
	if err := pg.Exec(ctx, "postgres", "CREATE DATABASE "+devDatabase); err != nil {
		return fmt.Errorf("create the local database: %w", err)
	}
	cmd := exec.CommandContext(ctx, serverBin, "dbsetup")
	cmd.Env = append(os.Environ(), "DB_HOST="+pg.Host, fmt.Sprintf("DB_PORT=%d", pg.Port), "DB_NAME="+devDatabase, "DB_USER="+devDatabase,
		"DB_MASTER_USER="+pgtest.Superuser, "DB_MASTER_PASSWORD="+pg.Password, "DB_TLS_CA_FILE="+pg.CAFile)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("server dbsetup: %w", err)
	}
	return nil
}

// withDatabaseURL copies envFile into dir (0600) with its DATABASE_URL set to dsn.
func withDatabaseURL(envFile, dsn, dir string) (string, error) {
	f, err := os.Open(envFile)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	replaced := false
	for s := bufio.NewScanner(f); s.Scan(); {
		line := s.Text()
		if strings.HasPrefix(strings.TrimPrefix(strings.TrimSpace(line), "export "), "DATABASE_URL=") {
			line, replaced = fmt.Sprintf("DATABASE_URL=%q", dsn), true
		}
		b.WriteString(line + "\n")
	}
	if !replaced {
		fmt.Fprintf(&b, "DATABASE_URL=%q\n", dsn)
	}
	out := filepath.Join(dir, "dev.env")
	return out, os.WriteFile(out, []byte(b.String()), 0o600)
}
