// Package config reads the service's settings from its environment. The names and defaults
// match what the CDK app puts in the task definition; VSYNC_* are read by vsync itself.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

type Config struct {
	Port int
	// ListenHost is the IP address the service listens on; empty (the default) is every
	// interface, as in the task, where the load balancer reaches the task's network interface.
	// make dev sets 127.0.0.1 so that the local stack is not reachable from the network.
	ListenHost string
	// LogLevel is the minimum level of the JSON logs.
	LogLevel slog.Level
	// BootTimeout bounds vsync.Open: past it the process exits non-zero.
	BootTimeout time.Duration
	// ShutdownBudget bounds the drain after SIGTERM; it must fit in the task's stop timeout.
	ShutdownBudget time.Duration
	// DrainDelay keeps serving (with health checks failing) before the listener closes, for
	// load balancers that only learn from health checks; on ECS the target is already
	// deregistered when SIGTERM arrives, so it is 0 there.
	DrainDelay time.Duration
	// FreshnessInterval is the least time between two S3 freshness checks.
	FreshnessInterval time.Duration
	// FreshnessWait bounds how long a health check waits for a running freshness check
	// before it answers with the last known state.
	FreshnessWait time.Duration
	// Keys are the vault keys the service uses: their sources are logged at boot.
	Keys []string
	// Database is the service's PostgreSQL database, if any (database.go).
	Database Database
	Admission
	// Telemetry is the metrics and tracing settings (telemetry.go).
	Telemetry Telemetry
}

// Load reads the environment through lookup (os.LookupEnv in production).
func Load(lookup func(string) (string, bool)) (Config, error) {
	r := reader{lookup: lookup}
	c := Config{
		Port:              r.int("PORT", 8080),
		ListenHost:        r.ip("LISTEN_HOST"),
		LogLevel:          r.level("LOG_LEVEL", slog.LevelInfo),
		BootTimeout:       r.duration("BOOT_TIMEOUT", 10*time.Second),
		ShutdownBudget:    r.duration("SHUTDOWN_BUDGET", 20*time.Second),
		DrainDelay:        r.duration("DRAIN_DELAY", 0),
		FreshnessInterval: r.duration("FRESHNESS_INTERVAL", 30*time.Second),
		FreshnessWait:     r.duration("FRESHNESS_WAIT", 250*time.Millisecond),
		Keys:              r.list("VAULT_KEYS", []string{"DATABASE_URL"}),
		Admission:         r.admission(),
		Telemetry:         r.telemetry(),
	}
	c.Database = r.database()
	if c.Port < 1 || c.Port > 65535 {
		r.fail("PORT", fmt.Sprint(c.Port), "use a TCP port from 1 to 65535")
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"BOOT_TIMEOUT", c.BootTimeout}, {"SHUTDOWN_BUDGET", c.ShutdownBudget}, {"FRESHNESS_INTERVAL", c.FreshnessInterval}, {"FRESHNESS_WAIT", c.FreshnessWait}} {
		if d.value <= 0 {
			r.fail(d.name, d.value.String(), "use a positive duration such as 10s")
		}
	}
	if c.DrainDelay < 0 || c.DrainDelay >= c.ShutdownBudget {
		r.fail("DRAIN_DELAY", c.DrainDelay.String(), "use 0 or a duration below SHUTDOWN_BUDGET")
	}
	return c, errors.Join(r.errs...)
}

// ListenAddr is the address the service listens on.
func (c Config) ListenAddr() string { return net.JoinHostPort(c.ListenHost, strconv.Itoa(c.Port)) }

// ProbeAddr is where a probe inside the container or host reaches the service: the listen
// address, or loopback when the service listens on every interface.
func (c Config) ProbeAddr() string {
	if c.ListenHost == "" {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port))
	}
	return c.ListenAddr()
}

// reader collects one error per bad variable, naming it, its value and the fix.
type reader struct {
	lookup func(string) (string, bool)
	errs   []error
}

func (r *reader) fail(name, value, fix string) {
	r.errs = append(r.errs, fmt.Errorf("%s=%q: %s", name, value, fix))
}

func (r *reader) get(name string) (string, bool) {
	v, ok := r.lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return "", false
	}
	return strings.TrimSpace(v), true
}

func (r *reader) int(name string, def int) int {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, v, "use a whole number")
	}
	return n
}

// ip reads an IP address literal (no name: listening must not depend on DNS).
func (r *reader) ip(name string) string {
	v, ok := r.get(name)
	if !ok {
		return ""
	}
	addr, err := netip.ParseAddr(v)
	if err != nil || addr.Zone() != "" {
		r.fail(name, v, "use an IP address such as 127.0.0.1 or ::1, or leave it unset to listen on every interface")
		return ""
	}
	return addr.String()
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, v, "use a Go duration such as 500ms, 10s or 1m")
	}
	return d
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, v, "use debug, info, warn or error")
	}
	return l
}

func (r *reader) list(name string, def []string) []string {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
