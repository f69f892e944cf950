package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/keelstack/keel/app/internal/config"
	"github.com/keelstack/keel/app/internal/httpapi"
	"github.com/keelstack/keel/app/internal/store"
)

// databaseURLKey is the vault key of an unmanaged database's connection URL.
const databaseURLKey = "DATABASE_URL"

// dbSlot holds the store once boot has opened it, or says there is none; handlers read it on
// every request.
type dbSlot struct {
	p    atomic.Pointer[store.Store]
	none atomic.Bool
}

func (s *dbSlot) get() (httpapi.Database, bool) {
	if s.none.Load() {
		return nil, false
	}
	if db := s.p.Load(); db != nil {
		return db, true
	}
	return nil, true // booting
}

// bootDatabase opens the database when one is configured (nil, nil when none is), by deadline:
// BOOT_TIMEOUT bounds the vault and the database together.
func bootDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, vault OpenedVault, slot *dbSlot, deadline time.Time) (*store.Store, error) {
	t := databaseTarget(cfg, vault)
	if !t.Configured() {
		slot.none.Store(true)
		log.Info("no database configured (neither DB_HOST nor DATABASE_URL)")
		return nil, nil
	}
	db, err := openDatabase(ctx, cfg, log, t, deadline)
	if err != nil {
		return nil, err
	}
	slot.p.Store(db)
	return db, nil
}

// databaseTarget is where the database is: DB_* (keel-managed), else the vault's DATABASE_URL.
func databaseTarget(cfg config.Config, vault OpenedVault) store.Target {
	t := store.Target{Database: cfg.Database}
	if !cfg.Database.Managed() {
		t.URL, _ = vault.GetEnv(databaseURLKey)
	}
	return t
}

// openDatabase connects and migrates by deadline. A failure is logged as one line with the
// error's class, meaning and fix, like the vault's.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, t store.Target, deadline time.Time) (*store.Store, error) {
	bootCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	start := time.Now()
	db, err := store.Open(bootCtx, t)
	if err == nil {
		var applied []store.Migration
		if applied, err = db.Migrate(bootCtx, log); err == nil {
			log.Info("database opened", "managed", cfg.Database.Managed(), "pool_max", cfg.Database.PoolMax, "migrations_applied", len(applied), "ms", time.Since(start).Milliseconds())
			return db, nil
		}
		db.Close()
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	name, e := explainDatabase(err)
	log.Error("boot failed", "error", name, "meaning", e.meaning, "fix", e.fix, "detail", err.Error(), "boot_timeout", cfg.BootTimeout.String())
	return nil, fmt.Errorf("%w: boot failed: %s", ErrReported, name)
}

var databaseExplanations = map[string]explanation{
	store.ClassConfig: {
		"the database settings (DB_* or the vault's DATABASE_URL) are not usable",
		"fix the setting the detail names; DATABASE_URL is a postgres:// URL",
	},
	store.ClassCredentials: {
		"no AWS credentials to sign an IAM database token",
		"check the task role (it needs rds-db:connect on the stage's database user) and DB_REGION",
	},
	store.ClassUnreachable: {
		"no connection to the database before BOOT_TIMEOUT",
		"check DB_HOST/DB_PORT (or DATABASE_URL), that the database runs, and that its security group admits the service's",
	},
	store.ClassTLS: {
		"the database's TLS certificate did not verify against the pinned RDS CA bundle (or DB_TLS_CA_FILE)",
		"check DB_HOST is the instance's endpoint name; for a database outside RDS set DB_TLS_CA_FILE to its CA",
	},
	store.ClassAuth: {
		"the database refused the sign-in",
		"run the dbsetup task once (it creates the role and grants rds_iam); check DB_USER matches the task role's rds-db:connect resource",
	},
	store.ClassSetup: {
		"the database, the service's schema or a privilege is missing",
		"run the dbsetup task once for this stage",
	},
	store.ClassMigration: {
		"a schema migration failed (nothing after it was applied)",
		"read the detail; fix the migration in a new version (never edit an applied one) and deploy again",
	},
}

func explainDatabase(err error) (string, explanation) {
	name := store.Class(err)
	if e, ok := databaseExplanations[name]; ok {
		return name, e
	}
	if name == "" {
		name = "DatabaseError"
	}
	return name, explanation{"the database could not be opened", "see detail"}
}
