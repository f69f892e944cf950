// Command server is the service that runs in the Fargate task. Subcommands: serve (default),
// healthcheck (the container health check: exit 0 when the local liveness endpoint answers),
// dbsetup (the one-time database setup, run as a one-shot task), version.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keelstack/keel/app/internal/buildinfo"
	"github.com/keelstack/keel/app/internal/config"
	"github.com/keelstack/keel/app/internal/server"
	"github.com/keelstack/keel/app/internal/telemetry"
	"github.com/keelstack/keel/app/vsync"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, server.ErrReported) {
			fmt.Fprintln(os.Stderr, "server:", err)
		}
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

const usage = "usage: server [serve|healthcheck|dbsetup|version]"

func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if len(args) > 1 {
		return usageError{fmt.Errorf("unexpected arguments %q\n%s", args[1:], usage)}
	}
	switch cmd {
	case "serve":
		return serve(ctx, lookupEnv, stdout)
	case "healthcheck":
		return healthcheck(ctx, lookupEnv)
	case "dbsetup":
		return dbsetup(ctx, lookupEnv, stdout)
	case "version":
		fmt.Fprintf(stdout, "server %s commit %s built %s\n", buildinfo.Version, buildinfo.Commit, buildinfo.Date)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q\n%s", cmd, usage)}
}

func serve(ctx context.Context, lookupEnv func(string) (string, bool), stdout io.Writer) error {
	cfg, err := config.Load(lookupEnv)
	level := cfg.LogLevel
	stdout = &telemetry.LineWriter{W: stdout} // the logs and the metrics share it
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level})))
	if err != nil {
		log.Error("invalid configuration", "detail", err.Error())
		return usageError{fmt.Errorf("%w: invalid configuration", server.ErrReported)}
	}
	tel, err := telemetry.New(ctx, cfg.Telemetry, buildinfo.Version, stdout, log)
	if err != nil {
		log.Error("invalid telemetry configuration", "detail", err.Error())
		return usageError{fmt.Errorf("%w: invalid configuration", server.ErrReported)}
	}
	open := func(ctx context.Context) (server.OpenedVault, error) {
		return vsync.Open(ctx, vaultOptions(lookupEnv, log, tel)...)
	}
	return server.Run(ctx, cfg, log, open, tel)
}

// vaultOptions are this package's three extensions over the upstream vsync API: the inputs
// come from the injected environment, _FILE warnings go to the JSON log, and the S3 calls are
// traced. With the upstream module, return nil: it reads the process environment and warns on
// stderr itself.
func vaultOptions(lookupEnv func(string) (string, bool), log *slog.Logger, tel *telemetry.Telemetry) []vsync.Option {
	return []vsync.Option{
		vsync.WithEnv(lookupEnv),
		vsync.WithWarnings(func(msg string) { log.Warn(msg) }),
		vsync.WithS3Options(func(o *s3.Options) { o.APIOptions = append(o.APIOptions, tel.AWSMiddleware()) }),
	}
}

// healthcheck probes the liveness endpoint where the service listens (loopback when it listens
// on every interface): the image has no shell or curl.
func healthcheck(ctx context.Context, lookupEnv func(string) (string, bool)) error {
	cfg, err := config.Load(lookupEnv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+cfg.ProbeAddr()+"/livez", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /livez answered %s", resp.Status)
	}
	return nil
}
