package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keelstack/keel/app/internal/config"
	"github.com/keelstack/keel/app/internal/httpapi"
	"github.com/keelstack/keel/app/internal/store"
)

// databaseURLKey is the vault key of an unmanaged database's connection URL.
const databaseURLKey = "DATABASE_URL"

// dbSlot holds the store once boot has opened it, or says there is none; handlers read it on
// every request. While a keel-managed database waits for its setup, it holds why instead.
type dbSlot struct {
	p       atomic.Pointer[store.Store]
	queries store.QueryHook // each query's span, when tracing
	none    atomic.Bool
	waiting atomic.Pointer[awaiting]
	stop    context.CancelFunc
	retries sync.WaitGroup
}

func (s *dbSlot) get() (httpapi.Database, bool) {
	if s.none.Load() {
		return nil, false
	}
	if db := s.p.Load(); db != nil {
		return db, true
	}
	if w := s.waiting.Load(); w != nil {
		return w, true
	}
	return nil, true // booting
}

// close stops retrying and closes the store, if one was opened: after the requests in flight.
func (s *dbSlot) close() {
	if s.stop != nil {
		s.stop()
	}
	s.retries.Wait()
	if db := s.p.Load(); db != nil {
		db.Close()
	}
}

// bootDatabase opens the database when one is configured (none is fine), by deadline:
// BOOT_TIMEOUT bounds the vault and the database together. A keel-managed database that has
// no role for the service yet does not fail the boot (see awaitingSetup).
func bootDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, vault OpenedVault, slot *dbSlot, deadline time.Time) error {
	t := databaseTarget(cfg, vault)
	t.Queries = slot.queries
	if !t.Configured() {
		slot.none.Store(true)
		log.Info("no database configured (neither DB_HOST nor DATABASE_URL)")
		return nil
	}
	db, err := openDatabase(ctx, cfg, log, t, deadline)
	switch {
	case err == nil:
		slot.p.Store(db)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case awaitingSetup(cfg, err):
		name, e := explainDatabase(err)
		log.Warn("database not set up yet: serving without it until it is", "error", name, "meaning", e.meaning, "fix", e.fix,
			"detail", err.Error(), "retry", cfg.Database.SetupRetry.String())
		slot.waiting.Store(&awaiting{err})
		slot.retry(ctx, cfg.Database.SetupRetry, log, func(ctx context.Context) (*store.Store, error) {
			return openDatabase(ctx, cfg, log, t, time.Now().Add(cfg.BootTimeout))
		})
		return nil
	}
	name, e := explainDatabase(err)
	log.Error("boot failed", "error", name, "meaning", e.meaning, "fix", e.fix, "detail", err.Error(), "boot_timeout", cfg.BootTimeout.String())
	return fmt.Errorf("%w: boot failed: %s", ErrReported, name)
}

// awaitingSetup reports whether err says that a keel-managed database has no role or schema
// for the service yet. A stage's first deploy with a database creates the dbsetup task beside
// the service, so its tasks start before make db-setup can run: failing their boot would have
// the circuit breaker roll that deploy back, with the one step that fixes it not yet possible.
// So the service serves without the database (/healthz 200 and says so, /readyz and the notes
// 503) and tries again every DB_SETUP_RETRY. A database keel does not manage fails the boot.
func awaitingSetup(cfg config.Config, err error) bool {
	class := store.Class(err)
	return cfg.Database.Managed() && (class == store.ClassAuth || class == store.ClassSetup)
}

// retry opens the store every interval until it opens or ctx ends.
func (s *dbSlot) retry(ctx context.Context, interval time.Duration, log *slog.Logger, open func(context.Context) (*store.Store, error)) {
	ctx, s.stop = context.WithCancel(ctx)
	s.retries.Add(1)
	go func() {
		defer s.retries.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			db, err := open(ctx)
			if err == nil {
				s.p.Store(db)
				s.waiting.Store(nil)
				log.Info("database set up: serving with it")
				return
			}
			if ctx.Err() != nil {
				return
			}
			s.waiting.Store(&awaiting{err})
		}
	}()
}

// awaiting stands in for the store while the database waits for its setup: every call answers
// the reason, as unavailable (the notes answer 503 with Retry-After, the health checks say
// down and why).
type awaiting struct{ err error }

func (a *awaiting) unavailable() error { return fmt.Errorf("%w: %w", store.ErrUnavailable, a.err) }
func (a *awaiting) CreateNote(context.Context, *string, string) (store.Note, error) {
	return store.Note{}, a.unavailable()
}
func (a *awaiting) Note(context.Context, int64) (store.Note, error) {
	return store.Note{}, a.unavailable()
}
func (a *awaiting) Notes(context.Context, int64, int) ([]store.Note, error) {
	return nil, a.unavailable()
}
func (a *awaiting) DeleteNote(context.Context, int64) error { return a.unavailable() }
func (a *awaiting) Ping(context.Context) error              { return a.err }
func (a *awaiting) Stats() store.Stats                      { return store.Stats{} }

// databaseTarget is where the database is: DB_* (keel-managed), else the vault's DATABASE_URL.
func databaseTarget(cfg config.Config, vault OpenedVault) store.Target {
	t := store.Target{Database: cfg.Database}
	if !cfg.Database.Managed() {
		t.URL, _ = vault.GetEnv(databaseURLKey)
	}
	return t
}

// openDatabase connects and migrates by deadline.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger, t store.Target, deadline time.Time) (*store.Store, error) {
	bootCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	start := time.Now()
	db, err := store.Open(bootCtx, t)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(bootCtx, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	log.Info("database opened", "managed", cfg.Database.Managed(), "pool_max", cfg.Database.PoolMax, "migrations_applied", len(applied), "ms", time.Since(start).Milliseconds())
	return db, nil
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
