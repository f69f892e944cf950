package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Every statement goes through withConn: one place to bound the wait for a pooled connection,
// classify and scrub errors, and (for a tracer) wrap each query.

// withConn acquires a connection, waiting at most the acquire timeout (then ErrUnavailable:
// a request is answered 503, never left hanging on an exhausted pool), and runs f on it under
// ctx, the request's own deadline.
func (s *Store) withConn(ctx context.Context, f func(*pgxpool.Conn) error) error {
	actx, cancel := context.WithTimeout(ctx, s.acquireTimeout)
	conn, err := s.pool.Acquire(actx)
	cancel()
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return &Error{Class: ClassUnreachable, Detail: fmt.Sprintf("no pooled connection within %v (pool of %d exhausted, or the database is not answering)", s.acquireTimeout, s.pool.Config().MaxConns), err: err}
		}
		return wrap(err, s.secrets...)
	}
	defer conn.Release()
	return wrap(f(conn), s.secrets...)
}

func (s *Store) exec(ctx context.Context, sql string, args ...any) error {
	return s.withConn(ctx, func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, sql, args...)
		return err
	})
}

// execCount runs sql and returns the rows it affected.
func (s *Store) execCount(ctx context.Context, sql string, args ...any) (int64, error) {
	var n int64
	err := s.withConn(ctx, func(c *pgxpool.Conn) error {
		tag, err := c.Exec(ctx, sql, args...)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// queryRow scans the one row of sql into dest; no row is ErrNotFound.
func (s *Store) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	err := s.withConn(ctx, func(c *pgxpool.Conn) error {
		err := c.QueryRow(ctx, sql, args...).Scan(dest...)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// queryRows collects every row of sql with scan.
func queryRows[T any](ctx context.Context, s *Store, sql string, args []any, scan func(pgx.Row) (T, error)) ([]T, error) {
	var out []T
	err := s.withConn(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
		return err
	})
	return out, err
}
