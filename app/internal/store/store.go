// Package store is the service's PostgreSQL access: a pgx pool signed in with IAM tokens (or a
// DATABASE_URL), its schema migrations, and the queries the handlers use. No DSN, password or
// token leaves it in an error.
package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is an open pool.
type Store struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
	secrets        []string
}

// Open creates the pool and checks that one connection can be made within ctx.
func Open(ctx context.Context, t Target) (*Store, error) {
	if !t.Configured() {
		return nil, &Error{Class: ClassConfig, Detail: "no database: set DB_HOST (keel-managed) or DATABASE_URL in the vault"}
	}
	secrets := t.secrets()
	cfg, err := t.poolConfig(ctx)
	if err != nil {
		return nil, wrap(err, secrets...)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap(err, secrets...)
	}
	s := &Store{pool: pool, acquireTimeout: t.Database.PoolAcquireTimeout, secrets: secrets}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that a connection can be acquired and answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.exec(ctx, "SELECT 1")
}

// Close waits for the connections in use to be released, then closes them all. A nil Store
// (no database configured) closes nothing.
func (s *Store) Close() {
	if s != nil {
		s.pool.Close()
	}
}

// Stats is the pool's state, for metrics.
type Stats struct {
	Acquired int32 `json:"acquired"`
	Idle     int32 `json:"idle"`
	Total    int32 `json:"total"`
	Max      int32 `json:"max"`
	// Acquires counts acquisitions; AcquireWait is the total time they waited, and EmptyAcquires
	// those that found no idle connection and had to wait for one (or its creation).
	Acquires         int64         `json:"acquires"`
	EmptyAcquires    int64         `json:"emptyAcquires"`
	AcquireWait      time.Duration `json:"acquireWaitNs"`
	EmptyAcquireWait time.Duration `json:"emptyAcquireWaitNs"`
	CanceledAcquires int64         `json:"canceledAcquires"`
}

// Stats reads the pool's counters.
func (s *Store) Stats() Stats {
	st := s.pool.Stat()
	return Stats{
		Acquired: st.AcquiredConns(), Idle: st.IdleConns(), Total: st.TotalConns(), Max: st.MaxConns(),
		Acquires: st.AcquireCount(), EmptyAcquires: st.EmptyAcquireCount(), AcquireWait: st.AcquireDuration(),
		EmptyAcquireWait: st.EmptyAcquireWaitTime(), CanceledAcquires: st.CanceledAcquireCount(),
	}
}
