// Package server runs the service: it listens at once (so that health checks see 503 rather
// than a refused connection while booting), opens the vault under a deadline, serves, and on
// cancellation drains within its budget.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/keelstack/keel/app/internal/admission"
	"github.com/keelstack/keel/app/internal/buildinfo"
	"github.com/keelstack/keel/app/internal/config"
	"github.com/keelstack/keel/app/internal/health"
	"github.com/keelstack/keel/app/internal/httpapi"
	"github.com/keelstack/keel/app/internal/telemetry"
)

// OpenedVault is a vault that can also ask S3 for its newest generation (*vsync.Client).
type OpenedVault interface {
	health.Vault
	RemoteGeneration(ctx context.Context) (int64, error)
}

// Opener opens the vault; ctx carries the boot deadline.
type Opener func(ctx context.Context) (OpenedVault, error)

// ErrReported marks an error already written to the log as a structured line.
var ErrReported = errors.New("reported")

// freshnessCheckTimeout bounds one background S3 freshness check.
const freshnessCheckTimeout = 5 * time.Second

// Run serves until ctx is cancelled, then drains. A boot failure is logged with its
// explanation and returned wrapping ErrReported.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, open Opener, tel *telemetry.Telemetry) error {
	ln, err := net.Listen("tcp", cfg.ListenAddr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set PORT to a free port, LISTEN_HOST to an address of this host)", cfg.ListenAddr(), err)
	}
	monitor := &health.Monitor{}
	limiter, err := newLimiter(cfg.Admission)
	if err != nil {
		_ = ln.Close()
		return err
	}
	slot := &dbSlot{queries: queryHook(tel)}
	if tel != nil {
		registerVaultMetrics(tel.Metrics, monitor)
		registerAdmissionMetrics(tel.Metrics, limiter)
		registerDatabaseMetrics(tel.Metrics, slot)
	}
	stopTelemetry := runTelemetry(tel, log)
	defer stopTelemetry()
	srv := newHTTPServer(cfg, log, monitor, slot, limiter, tel)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	start := time.Now()
	vault, err := boot(ctx, cfg, log, open)
	if err != nil {
		_ = srv.Close()
		if ctx.Err() != nil {
			log.Info("stopped while booting")
			return nil //nolint:nilerr // a signal during boot is a clean stop, not a failure
		}
		return err
	}
	if err := bootDatabase(ctx, cfg, log, vault, slot, start.Add(cfg.BootTimeout)); err != nil {
		_, _ = srv.Close(), vault.Close()
		if ctx.Err() != nil {
			log.Info("stopped while booting")
			return nil //nolint:nilerr // a signal during boot is a clean stop, not a failure
		}
		return err
	}
	log.Info("ready", "boot_ms", time.Since(start).Milliseconds(), "port", cfg.Port, "admission", admissionAttrs(cfg.Admission))
	monitor.Ready(vault, health.NewFreshness(vault.Generation(), vault.RemoteGeneration, cfg.FreshnessInterval, freshnessCheckTimeout, time.Now))

	select {
	case <-ctx.Done():
	case err := <-served:
		_ = vault.Close()
		slot.close()
		return fmt.Errorf("http server stopped: %w", err)
	}
	return drain(cfg, log, monitor, srv, limiter, func() { _ = vault.Close(); slot.close() })
}

func newHTTPServer(cfg config.Config, log *slog.Logger, monitor *health.Monitor, db *dbSlot, limiter *admission.Limiter, tel *telemetry.Telemetry) *http.Server {
	return &http.Server{
		Handler: httpapi.New(httpapi.Deps{
			Logger:        log,
			Monitor:       monitor,
			FreshnessWait: cfg.FreshnessWait,
			Version:       buildinfo.Version,
			MaxBodyBytes:  1 << 20,
			Database:      db.get,
			QueryTimeout:  cfg.Database.QueryTimeout,
			Admission:     limiter,
			Deadline:      cfg.RequestTimeout,
			Telemetry:     tel,
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       config.MaxRequestTimeout,
		WriteTimeout:      30 * time.Second,
		// Above the ALB's 60 s idle timeout: the load balancer, not the server, closes idle
		// connections, so it never sends a request on a connection the server is closing.
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func boot(ctx context.Context, cfg config.Config, log *slog.Logger, open Opener) (OpenedVault, error) {
	bootCtx, cancel := context.WithTimeout(ctx, cfg.BootTimeout)
	defer cancel()
	vault, err := open(bootCtx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		name, e := explain(err)
		log.Error("boot failed", "error", name, "meaning", e.meaning, "fix", e.fix, "detail", err.Error(), "boot_timeout", cfg.BootTimeout.String())
		return nil, fmt.Errorf("%w: boot failed: %s", ErrReported, name)
	}
	sources := map[string]string{}
	for _, k := range cfg.Keys {
		sources[k] = vault.EnvSource(k).String()
	}
	log.Info("vault opened", "version", buildinfo.Version, "commit", buildinfo.Commit, "gen", vault.Generation(), "vault", vault.String(), "sources", sources)
	return vault, nil
}

// drain fails health checks, optionally keeps serving for DrainDelay, then lets in-flight
// requests finish within what is left of the budget, and only then closes the vault and the
// database pool (closeAll).
func drain(cfg config.Config, log *slog.Logger, monitor *health.Monitor, srv *http.Server, limiter *admission.Limiter, closeAll func()) error {
	start := time.Now()
	monitor.Drain()
	log.Info("draining", "budget", cfg.ShutdownBudget.String(), "drain_delay", cfg.DrainDelay.String())
	time.Sleep(cfg.DrainDelay)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownBudget-cfg.DrainDelay)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close() // cuts the open requests, whose contexts end their queries
	}
	closeAll()
	if err != nil {
		log.Error("drain budget exceeded: open requests were cut", "budget", cfg.ShutdownBudget.String())
		return fmt.Errorf("%w: drain budget exceeded", ErrReported)
	}
	log.Info("stopped", "drain_ms", time.Since(start).Milliseconds(), "admission", statsValue(limiter))
	return nil
}
