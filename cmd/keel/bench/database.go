package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keelstack/keel/app/pgtest"
	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

const (
	dbReadRate    = 40   // requests per second of the fixed-rate read
	dbNotes       = 1000 // notes seeded before the reads
	dbConcurrency = 8    // closed-loop clients for the throughput and pool-wait runs
	dbPoolMax     = 4    // the service's pool in those runs: half the clients, so some wait
	dbVaultIters  = 1000 // the vault's derivation is measured by the service step, not here
	dbReadQuery   = `SELECT title, body, created_at FROM notes WHERE id = $1`
)

// database measures the notes API on a local PostgreSQL next to a bare pgx loop on the same
// server: boot to the first notes 200 with the migrations applied, p50/p99 of reads at 40
// requests/s, closed-loop throughput, and how long requests wait for a pooled connection.
func (b *bench) database() error {
	pg, err := pgtest.Start(pgtest.Options{})
	if err != nil {
		return err
	}
	defer pg.Close()
	env, stopVault, err := b.dbVault()
	if err != nil {
		return err
	}
	defer stopVault()
	bin, err := b.buildServer(runtime.GOARCH)
	if err != nil {
		return err
	}
	if err := b.dbBoot(pg, bin, env); err != nil {
		return err
	}
	url, err := newNotesDatabase(b.ctx, pg, "bench_reads")
	if err != nil {
		return err
	}
	svc, _, err := startServer(b.ctx, bin, append(env, "DATABASE_URL="+url, fmt.Sprintf("DB_POOL_MAX=%d", dbPoolMax)))
	if err != nil {
		return err
	}
	defer svc.stop()
	pool, err := pgxpool.New(b.ctx, url+"&pool_max_conns="+fmt.Sprint(dbPoolMax))
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(b.ctx, `INSERT INTO notes (body) SELECT 'bench note ' || g FROM generate_series(1, $1) g`, dbNotes); err != nil {
		return err
	}
	return b.dbReads(svc.url, pool)
}

// dbVault publishes a vault on a local S3 server and returns the service's environment.
func (b *bench) dbVault() ([]string, func(), error) {
	s3, err := vsynctest.LaunchVersityGW(versitygwBinary, filepath.Join(b.work, "s3-db"), "")
	if err != nil {
		return nil, nil, err
	}
	cfg := s3.Config("bench-db/", "bench", "benchSaltBenchSalt==", dbVaultIters)
	release := vsync.Release{KV: map[string]string{"BILLING_KEY": "bench-billing-key"}}
	if _, err := vsync.Publish(b.ctx, s3.Store(), cfg, benchPassphrase, release, time.Now(), vsync.WithIterationFloor(dbVaultIters)); err != nil {
		s3.Stop()
		return nil, nil, err
	}
	token, err := vsync.EncodeConfig(cfg)
	if err != nil {
		s3.Stop()
		return nil, nil, err
	}
	return []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + benchPassphrase, "LOG_LEVEL=error"}, s3.Stop, nil
}

// newNotesDatabase creates a database owned by a new role and returns the role's URL.
func newNotesDatabase(ctx context.Context, pg *pgtest.Server, name string) (string, error) {
	for _, sql := range []string{"CREATE ROLE " + name + " LOGIN PASSWORD 'bench'", "CREATE DATABASE " + name + " OWNER " + name} {
		if err := pg.Exec(ctx, "postgres", sql); err != nil {
			return "", err
		}
	}
	return pg.URL(name, "bench", name), nil
}

// dbBoot measures process start to the first 200 on an empty database (the service answers
// 200 only once the database is open and every migration applied), checking that the notes
// API then serves.
func (b *bench) dbBoot(pg *pgtest.Server, bin string, env []string) error {
	var boots []float64
	for i := range b.runs {
		url, err := newNotesDatabase(b.ctx, pg, fmt.Sprintf("bench_boot_%d", i))
		if err != nil {
			return err
		}
		p, ms, err := startServer(b.ctx, bin, append(env, "DATABASE_URL="+url))
		if err != nil {
			return err
		}
		resp, err := http.Get(p.url + "/api/v1/notes")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("GET /api/v1/notes after boot: %s", resp.Status)
			}
		}
		p.stop()
		if err != nil {
			return err
		}
		boots = append(boots, ms)
	}
	b.report.add(figure{Name: "boot to first 200, database opened and migrated", Value: median(boots), Unit: "ms",
		Note: fmt.Sprintf("empty database, vault at %d PBKDF2 iterations (derivation measured above)", dbVaultIters)})
	return nil
}

// dbReads runs the fixed-rate and closed-loop reads against the service and the bare loop.
func (b *bench) dbReads(url string, pool *pgxpool.Pool) error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: dbConcurrency}}
	viaService := func(ctx context.Context, id int) error {
		resp, err := client.Get(fmt.Sprintf("%s/api/v1/notes/%d", url, id))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET note %d: %s", id, resp.Status)
		}
		return nil
	}
	bare := func(ctx context.Context, id int) error {
		var title *string
		var body string
		var created time.Time
		return pool.QueryRow(ctx, dbReadQuery, id).Scan(&title, &body, &created)
	}
	var svcP50, svcP99, bareP50, bareP99, svcRate, bareRate, svcRPS, bareRPS []float64
	var waits []float64
	for range b.runs {
		lat, rate, err := b.atRate(viaService)
		if err != nil {
			return err
		}
		svcP50, svcP99, svcRate = append(svcP50, percentile(lat, 50)), append(svcP99, percentile(lat, 99)), append(svcRate, rate)
		if lat, rate, err = b.atRate(bare); err != nil {
			return err
		}
		bareP50, bareP99, bareRate = append(bareP50, percentile(lat, 50)), append(bareP99, percentile(lat, 99)), append(bareRate, rate)
		before, err := poolStats(url)
		if err != nil {
			return err
		}
		rps, err := b.closedLoop(viaService)
		if err != nil {
			return err
		}
		after, err := poolStats(url)
		if err != nil {
			return err
		}
		waits = append(waits, after.waitPerAcquireMS(before))
		svcRPS = append(svcRPS, rps)
		if rps, err = b.closedLoop(bare); err != nil {
			return err
		}
		bareRPS = append(bareRPS, rps)
	}
	rate := fmt.Sprintf("%d req/s offered for %v", dbReadRate, b.load)
	ratio := median(svcRate) / median(bareRate)
	t, met := target(ratio, 0.8, false, ">= 0.8")
	b.report.add(figure{Name: "notes read throughput at 40 req/s over the bare loop's", Value: ratio, Unit: "x", Target: t, Met: met,
		Note: fmt.Sprintf("%.1f vs %.1f req/s completed", median(svcRate), median(bareRate))})
	b.report.add(figure{Name: "notes read p50 via the service", Value: median(svcP50), Unit: "ms", Note: rate})
	t, met = target(median(svcP99), median(bareP99)+2, true, fmt.Sprintf("<= bare p99 + 2 ms (%.2f ms)", median(bareP99)+2))
	b.report.add(figure{Name: "notes read p99 via the service", Value: median(svcP99), Unit: "ms", Target: t, Met: met, Note: rate})
	b.report.add(figure{Name: "same query, bare pgx loop p50", Value: median(bareP50), Unit: "ms", Note: rate})
	b.report.add(figure{Name: "same query, bare pgx loop p99", Value: median(bareP99), Unit: "ms", Note: rate})
	loop := fmt.Sprintf("%d clients, pool of %d", dbConcurrency, dbPoolMax)
	b.report.add(figure{Name: "notes read throughput via the service", Value: median(svcRPS), Unit: "req/s", Note: loop})
	b.report.add(figure{Name: "same query, bare pgx loop throughput", Value: median(bareRPS), Unit: "req/s", Note: loop})
	// No target: each service read is an HTTP round trip, routing, JSON and a pooled query,
	// the bare loop's only the query, so at saturation this ratio says what HTTP costs.
	b.report.add(figure{Name: "closed-loop service over bare pgx loop", Value: median(svcRPS) / median(bareRPS), Unit: "x", Note: loop + "; HTTP and JSON per read"})
	b.report.add(figure{Name: "pool-acquire wait under load", Value: median(waits), Unit: "ms/acquire", Note: loop + "; from /readyz's pool counters"})
	return nil
}
