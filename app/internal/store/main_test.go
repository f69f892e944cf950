package store

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/keelstack/keel/app/internal/config"
	"github.com/keelstack/keel/app/pgtest"
)

// pg is one cluster for the package's tests (TLS on, for the managed mode), or nil with the
// reason in pgErr.
var (
	pg    *pgtest.Server
	pgErr error
)

func TestMain(m *testing.M) {
	pg, pgErr = pgtest.Start(pgtest.Options{TLS: true})
	code := m.Run()
	if pg != nil {
		pg.Close()
	}
	os.Exit(code)
}

// database creates a fresh database with a login role that owns it and returns a URL for it.
func database(t *testing.T) (url, name string) {
	t.Helper()
	if pg == nil {
		pgtest.Unavailable(t, pgErr)
	}
	ctx := context.Background()
	name, err := pg.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.Exec(ctx, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD 'pw-%s'; ALTER DATABASE %s OWNER TO %s", name, name, name, name)); err != nil {
		t.Fatal(err)
	}
	return pg.URL(name, "pw-"+name, name), name
}

func settings() config.Database {
	return config.Database{Port: 5432, PoolMax: 4, PoolAcquireTimeout: time.Second, QueryTimeout: 5 * time.Second}
}

func open(t *testing.T, target Target) *Store {
	t.Helper()
	s, err := Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
