package httpapi

import (
	"context"
	"time"

	"github.com/keelstack/keel/app/internal/store"
)

// dbPingTimeout bounds the health checks' database ping.
const dbPingTimeout = time.Second

// dbReport is the database's part of /healthz and /readyz.
type dbReport struct {
	Status string `json:"status"`          // up, down, or none (no database configured)
	Error  string `json:"error,omitempty"` // the store's error class when down
	// Pool is the connection pool's counters (/readyz only: an operator's and the bench's view).
	Pool *store.Stats `json:"pool,omitempty"`
}

// databaseReport pings the database, or is nil while there is none yet (booting).
func (d Deps) databaseReport(ctx context.Context) *dbReport {
	db, configured := d.db()
	if !configured {
		return &dbReport{Status: "none"}
	}
	if db == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, dbPingTimeout)
	defer cancel()
	if err := db.Ping(ctx); err != nil {
		class := store.Class(err)
		if class == "" {
			class = store.ClassUnreachable
		}
		return &dbReport{Status: "down", Error: class}
	}
	return &dbReport{Status: "up"}
}

// db returns the store (nil while booting) and whether one is configured.
func (d Deps) db() (Database, bool) {
	if d.Database == nil {
		return nil, false
	}
	return d.Database()
}
