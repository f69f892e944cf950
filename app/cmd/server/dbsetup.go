package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/keelstack/keel/app/internal/server"
	"github.com/keelstack/keel/app/internal/store"
)

// dbsetupTimeout bounds the one-time setup.
const dbsetupTimeout = time.Minute

// dbsetup is the one-time database setup, run as a one-shot task: the only process that holds
// the master credential (DB_MASTER_USER, DB_MASTER_PASSWORD, injected from the RDS-managed
// secret). It creates the service's role DB_USER and its schema, idempotently.
func dbsetup(ctx context.Context, lookupEnv func(string) (string, bool), stdout io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stdout, nil))
	env := func(k string) string { v, _ := lookupEnv(k); return v }
	port := 5432
	if v := env("DB_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			log.Error("dbsetup failed", "error", store.ClassConfig, "detail", fmt.Sprintf("DB_PORT=%q: use a TCP port from 1 to 65535", v))
			return usageError{fmt.Errorf("%w: dbsetup", server.ErrReported)}
		}
		port = p
	}
	admin := store.Admin{Host: env("DB_HOST"), Port: port, Name: env("DB_NAME"), User: env("DB_MASTER_USER"), Password: env("DB_MASTER_PASSWORD"), CAFile: env("DB_TLS_CA_FILE")}
	ctx, cancel := context.WithTimeout(ctx, dbsetupTimeout)
	defer cancel()
	done, err := store.Setup(ctx, admin, env("DB_USER"))
	if err != nil {
		log.Error("dbsetup failed", "error", store.Class(err), "detail", err.Error())
		return fmt.Errorf("%w: dbsetup: %s", server.ErrReported, store.Class(err))
	}
	for _, line := range done {
		log.Info("dbsetup", "done", line)
	}
	log.Info("dbsetup complete", "database", admin.Name, "role", env("DB_USER"))
	return nil
}
