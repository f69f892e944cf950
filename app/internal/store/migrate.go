package store

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLockID is the PostgreSQL advisory lock every keel migrator takes; any fixed number
// works as long as every version of the service uses the same one.
const migrationLockID = 0x6b65656c // "keel"

// Migration is one applied migration.
type Migration struct {
	Version int64
	Source  string
}

// Migrate applies the embedded migrations that the database lacks, holding a session-level
// advisory lock for the whole run: a second migrator (another booting task, another deploy)
// waits on the lock, then finds nothing left to do. A database ahead of this binary (a newer
// version rolled out, this task is an old one still serving) is left as it is.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) ([]Migration, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, &Error{Class: ClassMigration, Detail: err.Error()}
	}
	return migrate(ctx, s, sub, log)
}

func migrate(ctx context.Context, s *Store, sub fs.FS, log *slog.Logger) ([]Migration, error) {
	// Retry the lock every second for up to 10 minutes; ctx (the boot deadline) ends it sooner.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
	if err != nil {
		return nil, &Error{Class: ClassMigration, Detail: err.Error()}
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker), goose.WithSlog(log))
	if err != nil {
		return nil, &Error{Class: ClassMigration, Detail: err.Error()}
	}
	results, err := p.Up(ctx)
	if err != nil {
		err = wrap(err, s.secrets...)
		var e *Error
		if errors.As(err, &e) && e.Class == ClassQuery {
			e.Class = ClassMigration
		}
		return nil, err
	}
	out := make([]Migration, 0, len(results))
	for _, r := range results {
		out = append(out, Migration{Version: r.Source.Version, Source: r.Source.Path})
	}
	return out, nil
}
